/** A user (from passwd) or a group (from group); fields a group lacks are empty. */
export interface Account {
  name: string
  id: number
  /** Primary group id (users only). */
  gid?: number
  home?: string
  shell?: string
  /** Supplementary members (groups only). */
  members?: string[]
  line: number
}

export interface AccountDb {
  users: Account[]
  groups: Account[]
}

/** The colon-separated records of passwd(5)/group(5); lines that are not records are skipped. */
function records(text: string, minFields: number): {fields: string[]; line: number}[] {
  const out: {fields: string[]; line: number}[] = []
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '' || raw.startsWith('#') || raw.startsWith('+') || raw.startsWith('-')) return
    const fields = raw.split(':')
    if (fields.length < minFields || !/^\d+$/.test(fields[2] ?? '')) return
    out.push({fields, line: index + 1})
  })
  return out
}

export function parsePasswd(text: string): Account[] {
  return records(text, 7).map(({fields, line}) => ({
    name: fields[0] as string,
    id: Number(fields[2]),
    gid: Number(fields[3]),
    home: fields[5] as string,
    shell: fields[6] as string,
    line,
  }))
}

export function parseGroup(text: string): Account[] {
  return records(text, 4).map(({fields, line}) => ({
    name: fields[0] as string,
    id: Number(fields[2]),
    members: (fields[3] as string).split(',').filter(Boolean),
    line,
  }))
}
