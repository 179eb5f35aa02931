/**
 * The test-host harness: real sshd "machines" on loopback addresses, each in its own
 * namespaces over a copy-on-write overlay of /, with CentOS 7 or Arch identities and
 * recording stand-ins for what this machine cannot really do. See README.md.
 */
export { startTestHosts, cleanupLeftovers, PASSWORD } from './fleet.js';
export { CLUSTER_TOOLS, LB_TOOLS, requireTools } from './tools.js';
export { releaseBinary, RELEASE_TOOLS, startBinaryMirror, type BinaryMirror, type MirrorRequest } from './binary-mirror.js';
export { cniFixture, CNI_FIXTURES, startFileServer, type FileRequest, type FileServer } from './file-server.js';
export { catalog, type CatalogPackage } from './catalog.js';
export { DEFAULT_KERNEL, DEFAULT_ARCH_KUBE } from './identity.js';
export type {
  AppliedObject,
  BlockHandle,
  BootstrapToken,
  ClusterLogEntry,
  ClusterNode,
  ClusterState,
  ClusterTaint,
  ClusterYamlOptions,
  EtcdMember,
  ExecResult,
  HostStat,
  Latency,
  StartOptions,
  TestCluster,
  TestFleet,
  TestHost,
  TestHostOs,
  TestHostSpec,
} from './types.js';
