// A throwaway self-signed certificate for the TLS stand-ins of the tests and the benchmark, made
// afresh on each run so that no private key is ever kept in the repository.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Certificate {
  key: string;
  cert: string;
  /** For NODE_EXTRA_CA_CERTS: a self-signed certificate is its own authority. */
  certPath: string;
}

/**
 * Writes key.pem and cert.pem into `dir`. Both host names are covered by default so that a client
 * can name the loopback address and skip the resolver. Throws whatever running openssl threw:
 * only the caller knows what the certificate was needed for.
 */
export function selfSignedCertificate(
  dir: string,
  altNames: string[] = ['DNS:localhost', 'IP:127.0.0.1']
): Certificate {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      `subjectAltName=${altNames.join(',')}`
    ],
    { stdio: 'ignore' }
  );
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8'), certPath };
}

export interface Authority {
  /** The CA's certificate (PEM): what a client trusts, e.g. through the ca-certificate input. */
  caCert: string;
  caPath: string;
  /** A server certificate the CA signed, for localhost and 127.0.0.1. */
  keyPath: string;
  certPath: string;
}

/**
 * A private certificate authority and a server certificate it signed, as a company's internal PKI
 * issues them: the server's certificate alone is not self-signed, so only trusting the CA works.
 */
export function privateAuthority(
  dir: string,
  altNames: string[] = ['DNS:localhost', 'IP:127.0.0.1']
): Authority {
  const path = (name: string) => join(dir, name);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(
    ['req', '-x509', ...ec, '-keyout', path('ca.key'), '-out', path('ca.pem'), '-days', '2'].concat(
      ['-subj', '/CN=klear-test private CA']
    )
  );
  run(
    ['req', ...ec, '-keyout', path('server.key'), '-out', path('server.csr')].concat([
      '-subj',
      '/CN=localhost'
    ])
  );
  writeFileSync(path('server.ext'), `subjectAltName=${altNames.join(',')}\n`);
  run(
    [
      'x509',
      '-req',
      '-in',
      path('server.csr'),
      '-CA',
      path('ca.pem'),
      '-CAkey',
      path('ca.key')
    ].concat([
      '-CAcreateserial',
      '-out',
      path('server.pem'),
      '-days',
      '2',
      '-extfile',
      path('server.ext')
    ])
  );
  return {
    caCert: readFileSync(path('ca.pem'), 'utf8'),
    caPath: path('ca.pem'),
    keyPath: path('server.key'),
    certPath: path('server.pem')
  };
}
