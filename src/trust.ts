import type { SecureContext } from 'node:tls';
import { ActionError } from './errors.ts';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?\r?\n-----END CERTIFICATE-----/g;

/**
 * What TLS trusts when the `ca-certificate` input is set: Node's own authorities (its bundle,
 * NODE_EXTRA_CA_CERTS, the system store when Node uses it) plus the input's certificates. Node's `ca`
 * option replaces its defaults rather than adding to them, hence the whole list. Made once: a context
 * per request would parse every authority again (14 ms each here). Undefined when the input is
 * empty: Node's defaults then apply unchanged.
 *
 * The input is refused before any request when it is not PEM certificates: a private key, DER, a
 * file path, or a certificate that does not parse. Nothing of its text is repeated in a message.
 */
export async function trustContext(pem: string): Promise<SecureContext | undefined> {
  if (!pem) return undefined;
  if (/PRIVATE KEY-----/.test(pem)) {
    throw refused(
      'it holds a private key. Give only the certificate authority (BEGIN CERTIFICATE), and replace that key: it has been stored where workflows can read it.'
    );
  }
  // Text between blocks (a bundle's comments, openssl's subject lines) is ignored, as OpenSSL does.
  const blocks = pem.match(PEM_BLOCK) ?? [];
  if (!blocks.length) {
    throw refused(
      'it is not PEM certificates. Give the text of the CA certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE----- (several may follow each other), not a file path or DER bytes.'
    );
  }
  const [{ X509Certificate }, tls] = await Promise.all([import('node:crypto'), import('node:tls')]);
  blocks.forEach((block, index) => {
    try {
      new X509Certificate(block);
    } catch {
      throw refused(
        `certificate ${index + 1} of ${blocks.length} does not parse. Copy it again whole, line breaks included.`
      );
    }
  });
  return tls.createSecureContext({ ca: [...tls.getCACertificates('default'), ...blocks] });
}

function refused(why: string): ActionError {
  return new ActionError(`Input 'ca-certificate' cannot be used: ${why}`);
}
