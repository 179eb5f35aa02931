/** `config schema` and `config validate` through the built CLI (issue 2 item 3, DESIGN §1). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { assertBuilt, EXAMPLES, runCli, tempDir } from '../helpers/cli.js';

type Schema = Record<string, unknown>;

/** Enough of JSON Schema 2020-12 for what zod emits here; returns the failing paths. */
function validate(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  const fail = (why: string) => errors.push(`${path}: ${why}`);
  if (Array.isArray(schema.anyOf)) {
    const ok = (schema.anyOf as Schema[]).some((s) => validate(s, value, path).length === 0);
    if (!ok) fail('matches no anyOf branch');
    return errors;
  }
  if ('const' in schema && value !== schema.const) fail(`is not ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) fail(`is not one of ${JSON.stringify(schema.enum)}`);
  const type = schema.type as string | undefined;
  if (type === 'object') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: is not an object`];
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const key of (schema.required ?? []) as string[]) if (!(key in obj)) fail(`misses ${key}`);
    for (const [key, v] of Object.entries(obj)) {
      if (props[key]) errors.push(...validate(props[key], v, `${path}.${key}`));
      else if (schema.additionalProperties === false) fail(`has unknown key ${key}`);
      else if (typeof schema.additionalProperties === 'object') errors.push(...validate(schema.additionalProperties as Schema, v, `${path}.${key}`));
      if (schema.propertyNames) errors.push(...validate(schema.propertyNames as Schema, key, `${path}[key ${key}]`));
    }
  } else if (type === 'array') {
    if (!Array.isArray(value)) return [`${path}: is not an array`];
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail('has too few items');
    value.forEach((v, i) => errors.push(...validate(schema.items as Schema, v, `${path}[${i}]`)));
  } else if (type === 'string') {
    if (typeof value !== 'string') return [`${path}: is not a string`];
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) fail(`does not match ${schema.pattern}`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) fail('is too short');
  } else if (type === 'integer' || type === 'number') {
    if (typeof value !== 'number' || (type === 'integer' && !Number.isInteger(value))) return [`${path}: is not an ${type}`];
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail('is too small');
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail('is too large');
  } else if (type === 'null') {
    if (value !== null) fail('is not null');
  }
  return errors;
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
const work = tempDir();

beforeAll(async () => {
  assertBuilt();
  const r = await runCli(['config', 'schema'], { cwd: work.path });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  schema = JSON.parse(r.stdout) as Schema;
});
afterAll(() => work.remove());

describe('config schema', () => {
  test('is a JSON Schema for the Cluster kind', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
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

  test('the examples validate against it; a typo, a bad enum and a bad name do not', () => {
    for (const f of EXAMPLE_FILES) expect([f, validate(schema, parse(readFileSync(join(EXAMPLES, f), 'utf8')))]).toEqual([f, []]);
    const bad = parse(readFileSync(join(EXAMPLES, 'single-arch.yaml'), 'utf8')) as { spec: { kubernetes: Record<string, unknown>; hosts: Record<string, unknown>[] } };
    bad.spec.kubernetes.proxyMod = 'ipvs';
    bad.spec.hosts[0]!.os = 'ubuntu';
    bad.spec.hosts[0]!.name = 'lab1;rm -rf /';
    expect(validate(schema, bad)).toEqual([
      '$.spec.kubernetes: has unknown key proxyMod',
      expect.stringMatching(/^\$\.spec\.hosts\[0\]\.name: does not match /),
      '$.spec.hosts[0].os: is not one of ["centos7","arch"]',
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
