/** `config schema` and `config validate` through the built CLI (issue 2 item 3, issue 10 item 5, DESIGN §1). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { parse } from 'yaml';
import { assertBuilt, EXAMPLES, REPO, runCli, tempDir } from '../helpers/cli.js';

// ajv is CommonJS: its class is the module's default export.
const Ajv = AjvModule.default;

type Schema = Record<string, unknown>;

/** A kept JSON Schema validator: ajv, whose default build is draft 7, the draft `config schema` declares. */
function validator(schema: Schema): (value: unknown) => string[] {
  const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? e.keyword}`).sort());
}

/** Every property schema (under `properties`) in the tree, with its path. */
function properties(schema: unknown, path = '$', out: [string, Schema][] = []): [string, Schema][] {
  if (typeof schema !== 'object' || schema === null) return out;
  const s = schema as Schema;
  for (const [name, prop] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) out.push([`${path}.${name}`, prop]);
  for (const [k, v] of Object.entries(s)) {
    if (k === 'default' || k === 'const' || k === 'enum') continue;
    const at = k === 'properties' ? path : `${path}/${k}`;
    if (Array.isArray(v)) v.forEach((item, i) => properties(item, `${at}[${i}]`, out));
    else if (k === 'properties') for (const [name, prop] of Object.entries(v as Record<string, Schema>)) properties(prop, `${path}.${name}`, out);
    else properties(v, at, out);
  }
  return out;
}

/** Every object schema, with its JSON pointer-ish path. */
function objects(schema: unknown, path = '$', out: [string, Schema][] = []): [string, Schema][] {
  if (typeof schema !== 'object' || schema === null) return out;
  const s = schema as Schema;
  if (s.type === 'object') out.push([path, s]);
  for (const [k, v] of Object.entries(s)) {
    if (k === 'default' || k === 'const' || k === 'enum') continue;
    if (Array.isArray(v)) v.forEach((item, i) => objects(item, `${path}.${k}[${i}]`, out));
    else objects(v, `${path}.${k}`, out);
  }
  return out;
}

const EXAMPLE_FILES = ['ha-centos7.yaml', 'mixed-bastion.yaml', 'single-arch.yaml'];
let schema: Schema;
let schemaText: string;
const work = tempDir();

beforeAll(async () => {
  assertBuilt();
  const r = await runCli(['config', 'schema'], { cwd: work.path });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  schemaText = r.stdout;
  schema = JSON.parse(r.stdout) as Schema;
});
afterAll(() => work.remove());

describe('config schema', () => {
  test('is a JSON Schema for the Cluster kind', () => {
    // Draft 7: what yaml-language-server understands (README "Editor support").
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect((schema.properties as Record<string, Schema>).apiVersion).toMatchObject({ const: 'k8sprep.io/v1alpha1' });
  });

  test('spec.hosts items have name, address, roles and os; name/address/roles are required', () => {
    const spec = (schema.properties as Record<string, Schema>).spec as Schema;
    const hosts = (spec.properties as Record<string, Schema>).hosts as Schema;
    expect(hosts.type).toBe('array');
    const item = hosts.items as Schema;
    expect(Object.keys(item.properties as object)).toEqual(expect.arrayContaining(['name', 'address', 'roles', 'os', 'ssh']));
    expect(item.required).toEqual(['name', 'address', 'roles']);
    const props = item.properties as Record<string, Schema>;
    expect(props.roles?.items).toMatchObject({ enum: ['control-plane', 'worker'] });
    expect(props.os).toMatchObject({ enum: ['centos7', 'arch'] });
    expect(props.name?.pattern).toBe('^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$');
  });

  test('spec.mirrors.binaries: an http(s) URL, default https://dl.k8s.io, described with its layout and the China mirror', () => {
    const spec = (schema.properties as Record<string, Schema>).spec as Schema;
    const mirrors = (spec.properties as Record<string, Schema>).mirrors as Schema;
    const binaries = (mirrors.properties as Record<string, Schema>).binaries as Schema;
    expect(binaries).toMatchObject({ type: 'string', default: 'https://dl.k8s.io' });
    expect(new RegExp(binaries.pattern as string).test('https://files.m.daocloud.io/dl.k8s.io')).toBe(true);
    expect(new RegExp(binaries.pattern as string).test('ftp://dl.k8s.io')).toBe(false);
    expect(binaries.description).toContain('https://files.m.daocloud.io/dl.k8s.io');
    expect(mirrors.default).toEqual({ packages: 'aliyun', registries: {}, binaries: 'https://dl.k8s.io' });
  });

  test('every object with fixed keys refuses unknown ones (additionalProperties: false)', () => {
    const found = objects(schema);
    expect(found.length).toBeGreaterThan(8);
    for (const [path, obj] of found) {
      if (obj.properties) expect([path, obj.additionalProperties]).toEqual([path, false]);
      else expect([path, typeof obj.propertyNames]).toEqual([path, 'object']); // records: keys constrained
    }
  });

  test('every property has a description (hover help in editors)', () => {
    const all = properties(schema);
    expect(all.length).toBeGreaterThan(40);
    const undescribed = all.filter(([, p]) => typeof p.description !== 'string' || p.description.length < 10).map(([path]) => path);
    expect(undescribed).toEqual([]);
  });

  test('the walk over properties does find an undescribed one', () => {
    const found = properties({ type: 'object', properties: { a: { type: 'object', description: 'outer a', properties: { b: { type: 'string' } } } } });
    expect(found.map(([path, p]) => [path, p.description])).toEqual([
      ['$.a', 'outer a'],
      ['$.a.b', undefined],
    ]);
  });

  test('schema/cluster.schema.json, which the examples point editors at, is what `config schema` prints', () => {
    expect(readFileSync(join(REPO, 'schema', 'cluster.schema.json'), 'utf8')).toBe(schemaText);
  });

  test('the examples validate against it; a typo, a bad enum, a bad name and a bad router id do not', () => {
    const validate = validator(schema);
    for (const f of EXAMPLE_FILES) expect([f, validate(parse(readFileSync(join(EXAMPLES, f), 'utf8')))]).toEqual([f, []]);
    const bad = parse(readFileSync(join(EXAMPLES, 'mixed-bastion.yaml'), 'utf8')) as {
      spec: { kubernetes: Record<string, unknown>; controlPlaneEndpoint: Record<string, unknown>; hosts: Record<string, unknown>[] };
    };
    bad.spec.kubernetes.proxyMod = 'ipvs';
    bad.spec.hosts[0]!.os = 'ubuntu';
    bad.spec.hosts[0]!.name = 'lab1;rm -rf /';
    bad.spec.controlPlaneEndpoint.virtualRouterId = 256;
    expect(validate(bad)).toEqual([
      '/spec/controlPlaneEndpoint/virtualRouterId: must be <= 255',
      '/spec/hosts/0/name: must match pattern "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"',
      '/spec/hosts/0/os: must be equal to one of the allowed values',
      '/spec/kubernetes: must NOT have additional properties',
    ]);
  });
});

describe('config validate', () => {
  test.each([
    [
      'ha-centos7.yaml',
      'ok: cluster ha-centos7, Kubernetes 1.30.6, 5 host(s) (3 control plane, 2 worker; centos7), endpoint 192.168.56.100:6443 (kube-vip), pods 10.244.0.0/16, services 10.96.0.0/12, ipvs, calico',
    ],
    [
      'mixed-bastion.yaml',
      'ok: cluster mixed, Kubernetes 1.32.4, 5 host(s) (3 control plane, 2 worker; centos7+arch), endpoint k8s-api.internal.example:8443 (keepalived-haproxy, VIP 172.20.0.100), pods 10.244.0.0/16, services 10.96.0.0/12, ipvs, calico',
    ],
    [
      'single-arch.yaml',
      'ok: cluster lab, Kubernetes 1.34.2, 1 host(s) (1 control plane, 1 worker; arch), endpoint 10.0.0.5:6443, pods 10.244.0.0/16, services 10.96.0.0/12, iptables, flannel',
    ],
  ])('%s: one ok line', async (file, line) => {
    const r = await runCli(['config', 'validate', '-c', join(EXAMPLES, file)], { cwd: work.path });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${line}\n`);
  });

  test('defaults to ./cluster.yaml', async () => {
    writeFileSync(join(work.path, 'cluster.yaml'), readFileSync(join(EXAMPLES, 'single-arch.yaml')));
    const r = await runCli(['config', 'validate'], { cwd: work.path });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: cluster lab, /);
  });
});
