/**
 * The PKI directory cannot be used as it is (a CA key that does not match its
 * certificate, a CA certificate without its key, ...). k8sprep never "repairs" these by
 * replacing a CA: that would silently invalidate every certificate and join hash.
 * Commands report it and exit 1.
 */
export class PkiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PkiError';
  }
}
