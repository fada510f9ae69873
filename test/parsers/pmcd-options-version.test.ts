import {describe, expect, it} from 'vitest'

import {analyzePmcd} from '../../src/checks/pmcd/analysis.js'
import {Host} from '../../src/host/host.js'
import {MemoryBackend} from '../../src/host/tree.js'
import {parsePmcdOptions} from '../../src/parsers/pmcd-options.js'
import {seedTreeWith} from '../checks/seed-tree.js'

const OPTIONS = '-A\n-C 64\n-M 1000\n'
const status = (version: string) =>
  `Package: pcp\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n`

describe("pmcd's options know the installed version", () => {
  // pmcd 6: -C is unknown, and its value 64 (not an option) ends the options there (POSIX order).
  it('-C and -M are unknown to pmcd 6 and valid in pmcd 7', () => {
    expect(parsePmcdOptions(OPTIONS).unknown.map((u) => u.name)).toEqual(['-C'])
    const seven = parsePmcdOptions(OPTIONS, undefined, '7.1.1')
    expect(seven.unknown).toEqual([])
    expect(seven.problems).toEqual([])
    expect(seven.options.map((o) => [o.letter, o.value])).toEqual([
      ['A', undefined],
      ['C', '64'],
      ['M', '1000'],
    ])
  })

  it("the pmcd analysis parses with the version in the root's dpkg status", async () => {
    const setup = async (version: string) => {
      const spec = seedTreeWith(
        {path: '/var/lib/dpkg/status', content: status(version)},
        {path: '/etc/pcp/pmcd/pmcd.options', content: OPTIONS},
      )
      const result = await analyzePmcd(new Host(new MemoryBackend(spec, 'test')))
      if (!result || 'error' in result) throw new Error('no pmcd setup')
      return result
    }
    expect((await setup('7.1.1-1')).options.unknown).toEqual([])
    expect((await setup('6.0.3-1.1')).options.unknown.map((u) => u.name)).toEqual(['-C'])
  })
})
