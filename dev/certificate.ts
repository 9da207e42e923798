// A throwaway self-signed certificate for the TLS stand-ins of the tests and the benchmark, made
// afresh on each run so that no private key is ever kept in the repository.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
