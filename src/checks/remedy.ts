/*
 * A failing result's remedy, as data: what `verify --fix` plans and applies through the shared writer
 * (src/render/writer.ts), and what the shell command a report prints after `fix:` is made from
 * (remedyCommand), so that the command shown and the change applied can never disagree.
 *
 * Paths are host paths (absolute, as on the audited machine, never prefixed with --root). Owners are
 * names; the fixer resolves them in the audited root's own passwd and group files.
 */

import {chownChmod, sedDeleteLine, sedReplaceLine, shellQuote} from './fix.js'

/** One edit of a text file. Each names the text it expects, so a file that changed since the audit is left alone. */
export type LineEdit =
  /** Line `line` (1-based), which must read exactly `expect`, becomes `text` (which may hold several lines). */
  | {op: 'replace'; line: number; expect: string; text: string}
  /** Line `line`, which must read exactly `expect`, is removed. */
  | {op: 'delete'; line: number; expect: string}
  /** `text` (one or more lines) is added at the end of the file, after a newline if the file lacks one. */
  | {op: 'append'; text: string}

/** A real program that must accept a changed file before it is written (when it is installed). */
export type Validator = 'pmcd-conf' | 'systemd-unit' | 'sshd-config' | 'authorized-keys'

export type Remedy =
  /** Set a file's or a directory's owner, group and/or mode; content untouched. */
  | {kind: 'attrs'; path: string; owner?: string; group?: string; mode?: number}
  /** Edit a text file line by line; its mode and owner stay. */
  | {kind: 'edit'; path: string; edits: LineEdit[]; validate?: Validator}
  /** Create a file that does not exist yet (a unit drop-in, say), with this mode and owner. */
  | {
      kind: 'create'
      path: string
      content: string
      mode: number
      owner: string
      group: string
      validate?: Validator
    }
  /**
   * Move a file out of the way (a leftover key) into `to`, a directory created 0700 root:root when
   * missing, under `name` (default: its own name; another when that one is taken there).
   */
  | {kind: 'move'; path: string; to: string; name?: string}
  /**
   * No safe automatic remedy (it could lock an administrator out, or needs a choice): `command` is
   * the exact manual command for the values found, and `why` says why it is not automatic.
   */
  | {kind: 'manual'; command: string; why: string}

/** What a remedy needs after it is applied: services to restart or reload. */
export interface RemedyEffects {
  /** systemd units to restart (pmcd.service, ...), or `daemon-reload` first when units changed. */
  restart?: string[]
}

export type FixPlan = Remedy & RemedyEffects

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0')

/** The exact shell command (run as root on the audited machine) that applies a remedy. */
export function remedyCommand(remedy: Remedy): string {
  switch (remedy.kind) {
    case 'attrs': {
      if (remedy.owner !== undefined && remedy.group !== undefined && remedy.mode !== undefined)
        return chownChmod(remedy.path, remedy.owner, remedy.group, octal(remedy.mode))
      const p = shellQuote(remedy.path)
      const parts: string[] = []
      if (remedy.owner !== undefined || remedy.group !== undefined)
        parts.push(
          `chown ${shellQuote(`${remedy.owner ?? ''}${remedy.group === undefined ? '' : `:${remedy.group}`}`)} ${p}`,
        )
      if (remedy.mode !== undefined) parts.push(`chmod ${octal(remedy.mode)} ${p}`)
      return parts.join(' && ')
    }
    case 'edit': {
      // Bottom-up, so an edit never moves the lines a later one names.
      const ordered = bottomUp(remedy.edits)
      return ordered
        .map((e) => {
          switch (e.op) {
            case 'replace':
              return sedReplaceLine(remedy.path, e.expect, e.text, e.line)
            case 'delete':
              return sedDeleteLine(remedy.path, e.expect, e.line)
            case 'append':
              return appendCommand(remedy.path, e.text)
          }
        })
        .join(' && ')
    }
    case 'create': {
      const dir = remedy.path.slice(0, remedy.path.lastIndexOf('/')) || '/'
      const p = shellQuote(remedy.path)
      return [
        `install -d ${shellQuote(dir)}`,
        `printf '%s' ${shellQuote(remedy.content)} > ${p}`,
        chownChmod(remedy.path, remedy.owner, remedy.group, octal(remedy.mode)),
      ].join(' && ')
    }
    case 'move': {
      const target = moveTarget(remedy)
      return `install -d -m 0700 ${shellQuote(remedy.to)} && mv -n ${shellQuote(remedy.path)} ${shellQuote(target)}`
    }
    case 'manual':
      return remedy.command
  }
}

/** Where a `move` puts its file. */
export function moveTarget(remedy: {path: string; to: string; name?: string}): string {
  return `${remedy.to}/${remedy.name ?? remedy.path.slice(remedy.path.lastIndexOf('/') + 1)}`
}

/** Edits that name a line from the last line up, then the appends in the order given. */
export function bottomUp(edits: readonly LineEdit[]): LineEdit[] {
  const lined = edits.filter((e) => e.op !== 'append').sort((a, b) => b.line - a.line)
  return [...lined, ...edits.filter((e) => e.op === 'append')]
}

/** Append lines, starting on a new line whatever the file's last byte is. */
function appendCommand(file: string, text: string): string {
  const f = shellQuote(file)
  const body = text.endsWith('\n') ? text : `${text}\n`
  return `{ [ ! -s ${f} ] || [ -z "$(tail -c1 ${f})" ] || echo; printf '%s' ${shellQuote(body)}; } >> ${f}`
}

/** The fields a failing result carries for a remedy: the structured remedy and its shell command. */
export function withRemedy(remedy: FixPlan): {remedy: FixPlan; fix: string} {
  return {remedy, fix: remedyCommand(remedy)}
}
