import { Flags } from '@oclif/core';
import { BaseCommand } from '../../cli/base.js';
import { loadClusterFromFlags } from '../../cluster/from-flags.js';
import { configFlag, singleHostFlags } from '../../cli/flags.js';
import { imageTableNote, kubeadmImages } from '../../cluster/images.js';

export default class ImagesList extends BaseCommand {
  static override summary = "The images kubeadm needs for the cluster's version, from its image repository";
  static override description =
    'One image per line, in the order `kubeadm config images list` prints them, from spec.kubernetes.imageRepository. ' +
    'Contacts no host: the versions come from the table of kubeadm releases built into k8sprep. ' +
    'For a patch release newer than that table, a note on stderr says the tags are the last known ones (hosts pull what their installed kubeadm lists).';
  static override examples = [
    '<%= config.bin %> images list -c examples/ha-centos7.yaml',
    '<%= config.bin %> images list --host 192.168.56.11 --os centos7 --version 1.31.2 --json',
  ];
  static override flags = {
    ...configFlag,
    ...singleHostFlags,
    json: Flags.boolean({ description: 'print [{component, image}] as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ImagesList);
    const cluster = await loadClusterFromFlags(flags);
    const images = kubeadmImages(cluster.kubernetes.version, cluster.kubernetes.imageRepository);
    this.log(flags.json ? JSON.stringify(images, null, 2) : images.map((i) => i.image).join('\n'));
    // On stderr, so the list on stdout stays one image per line (or JSON) for scripts.
    const note = imageTableNote(cluster.kubernetes.version);
    if (note) process.stderr.write(`k8sprep: note: ${note}\n`);
  }
}
