/**
 * Shell fragments that write and compare files. The one way scripts write files: a
 * quoted heredoc (no expansion of the content) into a temp file beside the target, mode
 * set, pre-existing file backed up, then `mv` (atomic). The helper functions live in the
 * script preamble (preamble.ts).
 */
import { shq } from './quote.js';

export interface FileSpec {
  path: string;
  content: string;
  /** Octal string, e.g. '644', '600'. */
  mode: string;
}

/** A heredoc terminator that does not occur as a line of `content`. */
function terminator(content: string): string {
  const lines = new Set(content.split('\n'));
  let tag = 'K8SPREP_EOF';
  for (let i = 1; lines.has(tag); i++) tag = `K8SPREP_EOF_${i}`;
  return tag;
}

/**
 * `command <<'TAG'` + content + TAG: content reaches the command's stdin unexpanded.
 * `then` continues the command line after the heredoc operator, e.g. `|| return 1`.
 */
export function heredoc(command: string, content: string, then?: string): string {
  const body = content.endsWith('\n') ? content : `${content}\n`;
  const tag = terminator(body);
  return `${command} <<'${tag}'${then ? ` ${then}` : ''}\n${body}${tag}`;
}

/** Writes `spec` atomically (backup + temp + mv); does nothing when the file already matches. */
export function writeFile(spec: FileSpec): string {
  return heredoc(`k8sprep_write_file ${shq(spec.path)} ${shq(spec.mode)}`, spec.content);
}

/**
 * A file whose content holds markers for values known only on the host: `fill` maps each marker
 * (e.g. K8SPREP_NODE_IP) to a shell expression evaluated there (e.g. "$node_ip").
 */
export interface TemplateSpec extends FileSpec {
  fill: Readonly<Record<string, string>>;
}

function fillCommand(spec: TemplateSpec): string {
  return `k8sprep_fill ${Object.entries(spec.fill)
    .map(([marker, value]) => `${marker} "${value}"`)
    .join(' ')}`;
}

/** writeFile for a template: the markers are filled on the host before the file is compared and written. */
export function writeTemplate(spec: TemplateSpec): string {
  if (Object.keys(spec.fill).length === 0) return writeFile(spec);
  return heredoc(fillCommand(spec), spec.content, `| k8sprep_write_file ${shq(spec.path)} ${shq(spec.mode)}`);
}

/** Condition: the file holds the filled template, with this mode. */
export function templateMatches(spec: TemplateSpec, then?: string): string {
  if (Object.keys(spec.fill).length === 0) return fileMatches(spec, then);
  return heredoc(fillCommand(spec), spec.content, `| k8sprep_file_matches ${shq(spec.path)} ${shq(spec.mode)}${then ? ` ${then}` : ''}`);
}

/** Condition: the file exists with exactly this content and mode. */
export function fileMatches(spec: FileSpec, then?: string): string {
  return heredoc(`k8sprep_file_matches ${shq(spec.path)} ${shq(spec.mode)}`, spec.content, then);
}
