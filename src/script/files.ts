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

/** Condition: the file exists with exactly this content and mode. */
export function fileMatches(spec: FileSpec, then?: string): string {
  return heredoc(`k8sprep_file_matches ${shq(spec.path)} ${shq(spec.mode)}`, spec.content, then);
}
