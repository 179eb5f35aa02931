import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { configFlag } from '../../cli/flags.js';
import { loadClusterFile, validateClusterObject } from '../../cluster/load.js';
import { formatPath } from '../../cluster/locate.js';
import { addonImages } from '../../cluster/addons.js';
import { imageTableNote, kubeadmImages } from '../../cluster/images.js';
import type { Cluster } from '../../cluster/types.js';

/** `--version` alone: the defaults of a cluster file that sets only the version (validated by the same schema). */
function clusterOfVersion(version: string): Cluster {
  const raw = {
    apiVersion: 'k8sprep.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'images' },
    spec: { kubernetes: { version }, hosts: [{ name: 'images', address: 'local', roles: ['control-plane'] }] },
  };
  return validateClusterObject(raw, (problems) =>
    problems.map((p) => ({ path: formatPath(p.path) === 'spec.kubernetes.version' ? '--version' : formatPath(p.path), reason: p.reason })),
  );
}

/** The repository without registry or tag, so same-named images stay apart: `docker.io/calico/node:v3.29.4` -> `calico/node`. */
function addonComponent(image: string): string {
  return image
    .replace(/:[^/]*$/, '')
    .split('/')
    .slice(1)
    .join('/')
    .replace(/^library\//, '');
}

export default class ImagesList extends BaseCommand {
  static override summary = "The images kubeadm needs for the cluster's version, from its image repository";
  static override description =
    "One image per line: kubeadm's, in the order `kubeadm config images list` prints them, from spec.kubernetes.imageRepository, " +
    "then the load balancer's and the CNI's (upstream names; spec.mirrors.registries makes them pullable) " +
    '(with --version: the default, registry.aliyuncs.com/google_containers). Contacts no host: the versions come from ' +
    'the table of kubeadm releases built into k8sprep. For a patch release newer than that table, a note on stderr ' +
    'says the tags are the last known ones (hosts pull what their installed kubeadm lists).';
  static override examples = ['<%= config.bin %> images list -c examples/ha-centos7.yaml', '<%= config.bin %> images list --version 1.31.2 --json'];
  static override flags = {
    ...configFlag,
    version: Flags.string({ description: 'Kubernetes version, instead of a cluster file', helpValue: 'X.Y.Z', exclusive: ['config'] }),
    json: Flags.boolean({ description: 'print [{component, image}] as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImagesList);
    const cluster = flags.version === undefined ? await loadClusterFile(flags.config ?? 'cluster.yaml') : clusterOfVersion(flags.version);
    // kubeadm's, then the load balancer's and the CNI's (upstream names: mirrors.registries serves them).
    const addons = addonImages(cluster, { isControlPlane: true }).map((image) => ({ component: addonComponent(image), image }));
    const images = [...kubeadmImages(cluster.kubernetes.version, cluster.kubernetes.imageRepository), ...addons];
    this.log(flags.json ? JSON.stringify(images, null, 2) : images.map((i) => i.image).join('\n'));
    // On stderr, so the list on stdout stays one image per line (or JSON) for scripts.
    const note = imageTableNote(cluster.kubernetes.version);
    if (note) process.stderr.write(`k8sprep: note: ${note}\n`);
  }
}
