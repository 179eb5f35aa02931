/** The PKI library: what the certs commands (and later renew) use. */
export { generatePki, type FileAction, type FileOutcome, type GenerateOptions, type GenerateProgress, type GenerateReport } from './generate.js';
export { inspectNode, inspectPki, allStatuses, expiringWithin, problemLines } from './inspect.js';
export type { CertStatus, InspectOptions, NodeInspection, PkiInspection } from './inspect.js';
export { caCertHash } from './hash.js';
export { certSpecFromCert, createCa, issueCert, loadCa, reissueCert, BACKDATE_MS, type CaMaterial, type Validity } from './issue.js';
export { generateRsaKeyPair, keyMatchesCert, publicKeyPemOf, type KeyPairPem } from './keys.js';
export { parseKubeconfig, renderKubeconfig, type KubeconfigContent } from './kubeconfig.js';
export { defaultPkiDir, MODES, nodeRoot, SHARED_FILES } from './layout.js';
export { fileReader, type FileReader, type FileSource } from './source.js';
export { CA_SPECS, caSpec, nodeKubeconfigSpecs, nodeLeafSpecs, type CaId, type CertSpec, type KubeconfigSpec, type LeafSpec } from './spec.js';
export { readCert, type CertFacts } from './x509.js';
export { PkiError } from './errors.js';
export { RENEW_WITHIN_FRACTION } from './check.js';
