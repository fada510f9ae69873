import type {Host} from '../host/host.js'

export const PMCD_SASL_CONF = '/etc/sasl2/pmcd.conf'

export interface SaslConf {
  path: string
  present: boolean
  mechList?: string[]
  sasldbPath?: string
  lines: Record<string, number>
}

/** Parse a Cyrus SASL application config: `option: value` lines, `#` comments. */
export function parseSaslConf(text: string, path = PMCD_SASL_CONF): SaslConf {
  const conf: SaslConf = {path, present: true, lines: {}}
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const match = /^([^:\s]+)\s*:\s*(.*)$/.exec(line)
    if (!match) return
    const [, key = '', value = ''] = match
    conf.lines[key] = index + 1
    if (key === 'mech_list') conf.mechList = value.trim().split(/\s+/).filter(Boolean)
    if (key === 'sasldb_path') conf.sasldbPath = value.trim()
  })
  return conf
}

export async function readSaslConf(host: Host, path = PMCD_SASL_CONF): Promise<SaslConf> {
  const text = await host.readText(path)
  if (!text.ok) return {path, present: false, lines: {}}
  return parseSaslConf(text.value, path)
}
