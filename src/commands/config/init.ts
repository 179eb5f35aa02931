import { Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { BaseCommand } from '../../cli/base.js';
import { answersForYes, answersFromFlags, DEFAULT_NAME, HOST_FORMAT } from '../../cli/config-init/from-flags.js';
import { askAnswers, isPromptCancel } from '../../cli/config-init/questions.js';
import { renderClusterFile } from '../../cli/config-init/render.js';
import { SCHEMA_FILE, SCHEMA_REF, schemaFileState, schemaPathBeside, updateSchemaFile } from '../../cli/config-init/schema-file.js';
import { parseClusterText } from '../../cluster/load.js';
import { InputError } from '../../errors.js';
import { INTERRUPTED_EXIT } from '../../run/interrupt.js';

export default class ConfigInit extends BaseCommand {
  static override summary = 'Write a commented cluster file from a few questions (or from flags with --yes)';
  static override description =
    'Asks for the cluster name, the Kubernetes version, the hosts one by one (name, address, roles, OS), the API ' +
    'endpoint and its load balancer when there is more than one control plane, the CNI, the mirrors (aliyun with ' +
    'registry mirrors for China by default) and the SSH user and key; each answer is checked on the spot with the ' +
    "rules of `config validate`. Writes a YAML file whose comments explain each value, and beside it cluster.schema.json (the file's JSON Schema, which its first line points editors at; another file of that name that is not k8sprep's is left alone). The flags' values are the " +
    'defaults offered; with --yes nothing is asked and the flags are the answers. Refuses to overwrite a file ' +
    'without --force. Contacts no host.';
  static override examples = [
    '<%= config.bin %> config init',
    '<%= config.bin %> config init --yes --name demo --version 1.30.6 --host cp1,192.168.10.11,control-plane,centos7 --host w1,192.168.10.21,worker,centos7',
    '<%= config.bin %> config init -c ha.yaml --yes --host cp1,10.0.0.11,control-plane --host cp2,10.0.0.12,control-plane --host cp3,10.0.0.13,control-plane --endpoint 10.0.0.100',
  ];
  static override flags = {
    config: Flags.string({ char: 'c', description: 'the file to write [default: ./cluster.yaml]', helpValue: 'FILE' }),
    force: Flags.boolean({ description: 'overwrite the file when it exists' }),
    yes: Flags.boolean({ char: 'y', description: 'ask nothing: the flags are the answers (needs at least one --host)' }),
    name: Flags.string({ description: `cluster name [default: ${DEFAULT_NAME}]`, helpValue: 'NAME', helpGroup: 'ANSWERS' }),
    version: Flags.string({ description: 'Kubernetes version [default: the newest both OSes run]', helpValue: 'X.Y.Z', helpGroup: 'ANSWERS' }),
    host: Flags.string({ description: `a host, once per host: ${HOST_FORMAT}`, helpValue: 'NAME,ADDRESS,ROLES,OS', multiple: true, helpGroup: 'ANSWERS' }),
    endpoint: Flags.string({
      description: "API endpoint with several control planes: the virtual IP (or the external load balancer's address)",
      helpValue: 'ADDRESS',
      helpGroup: 'ANSWERS',
    }),
    'load-balancer': Flags.string({
      description: 'what serves the endpoint [default: kube-vip]',
      options: ['kube-vip', 'keepalived-haproxy', 'external'],
      helpValue: 'kube-vip|keepalived-haproxy|external',
      helpGroup: 'ANSWERS',
    }),
    cni: Flags.string({
      description: 'pod network [default: calico]',
      options: ['calico', 'flannel', 'none'],
      helpValue: 'calico|flannel|none',
      helpGroup: 'ANSWERS',
    }),
    mirrors: Flags.string({
      description: 'aliyun (with China registry mirrors) or upstream [default: aliyun]',
      options: ['aliyun', 'upstream'],
      helpValue: 'aliyun|upstream',
      helpGroup: 'ANSWERS',
    }),
    'ssh-user': Flags.string({ description: 'SSH user [default: root]', helpValue: 'USER', helpGroup: 'ANSWERS' }),
    'ssh-key': Flags.string({ description: 'SSH private key file [default: ssh-agent, ~/.ssh/config]', helpValue: 'FILE', helpGroup: 'ANSWERS' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ConfigInit);
    const path = resolve(flags.config ?? 'cluster.yaml');
    const shown = relative(process.cwd(), path).startsWith('..') ? path : relative(process.cwd(), path);
    if (existsSync(path) && !flags.force) throw InputError.single('--config', `${shown} exists: not overwritten (--force overwrites it)`);
    let answers;
    if (flags.yes) {
      answers = answersForYes(flags);
    } else {
      if (!process.stdin.isTTY || !process.stdout.isTTY)
        throw InputError.single('--yes', 'no terminal to ask the questions on: give the answers as flags with --yes (see --help)');
      const defaults = answersFromFlags(flags);
      try {
        answers = await askAnswers(defaults, (line) => this.log(line));
      } catch (err) {
        if (!isPromptCancel(err)) throw err;
        process.stderr.write('interrupted (Ctrl-C): nothing written\n');
        return this.exit(INTERRUPTED_EXIT);
      }
    }
    const schemaPath = schemaPathBeside(path);
    const schemaState = await schemaFileState(schemaPath);
    const text = renderClusterFile(answers, new Date(), schemaState === 'foreign' ? undefined : SCHEMA_REF);
    // What is written must pass `config validate`: a failure here is a bug in init, not input.
    parseClusterText(text, shown, path);
    await writeFile(path, text, { mode: 0o644, flag: flags.force ? 'w' : 'wx' });
    this.log(`wrote ${shown}: cluster ${answers.name ?? ''}, Kubernetes ${answers.version ?? ''}, ${answers.hosts.length} host(s)`);
    const schemaShown = join(dirname(shown), SCHEMA_FILE);
    const schemaDone = await updateSchemaFile(schemaPath, schemaState);
    if (schemaDone === 'written') this.log(`wrote ${schemaShown}: the cluster file's JSON Schema, which its first line points editors at`);
    if (schemaDone === 'replaced') this.log(`replaced ${schemaShown} (another k8sprep version's schema) with this version's`);
    if (schemaState === 'foreign')
      process.stderr.write(`note: ${schemaShown} is not k8sprep's schema: left as it is, and ${shown} names no schema (k8sprep config schema prints it)\n`);
    this.log(`next: k8sprep config validate${flags.config ? ` -c ${shown}` : ''}; k8sprep node init --dry-run${flags.config ? ` -c ${shown}` : ''}`);
  }
}
