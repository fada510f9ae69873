import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Report} from '../../src/engine/model.js'
import {detectProfiles} from '../../src/engine/profiles.js'
import {DiskBackend} from '../../src/host/backend.js'
import {Host} from '../../src/host/host.js'
import {auditHost} from '../helpers/audit.js'
import {buildTree, removeTree} from '../helpers/tree.js'

const P = 'pulse-sensor-proxy'
const S = `/var/lib/${P}`
const BIN = '/opt/pulse/sensor-proxy/bin'
const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIH7XxADo17SBmSlnA1Gnx3Hk/1Oit/sqdY/gOegFu8id'

/**
 * A Proxmox node as Pulse 4.x's scripts/install-sensor-proxy.sh (v4.36.2) left it, container 105:
 * `useradd --system --user-group --no-create-home --shell /usr/sbin/nologin`, `usermod -aG
 * www-data` (pvecm on the cluster IPC), `install -d -m 0750` /var/lib/pulse-sensor-proxy and
 * `-m 0700` ssh/ with an empty known_hosts 0600, the key ssh-keygen makes under the unit's
 * UMask=0007 (0600, .pub 0640), /etc/pulse-sensor-proxy 0755 with config.yaml 0644 (the base
 * config it writes), root's binaries in /opt/pulse/sensor-proxy, the unit it writes in Proxmox
 * mode (RuntimeDirectoryMode=0775; the proxy chmods its socket 0666), the authorized_keys line it
 * adds (forced command, no from=) and the container's lxc.mount.entry.
 */
const INSTALLED = `
entries:
  - path: /etc/passwd
    content: |
      root:x:0:0:root:/root:/bin/bash
      www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
      ${P}:x:997:997::/home/${P}:/usr/sbin/nologin
  - path: /etc/group
    content: |
      root:x:0:
      www-data:x:33:${P}
      ${P}:x:997:
  - {path: /home, type: dir, mode: "0755"}
  - {path: /opt/pulse, type: dir, mode: "0755"}
  - {path: /opt/pulse/sensor-proxy, type: dir, mode: "0755"}
  - {path: ${BIN}, type: dir, mode: "0755"}
  - {path: ${BIN}/${P}, mode: "0755", content: "binary\\n"}
  - {path: ${BIN}/pulse-sensor-wrapper.sh, mode: "0755", content: "#!/bin/bash\\n"}
  - {path: ${BIN}/pulse-sensor-cleanup.sh, mode: "0755", content: "#!/bin/bash\\n"}
  - {path: ${S}, type: dir, mode: "0750", owner: ${P}}
  - {path: ${S}/ssh, type: dir, mode: "0700", owner: ${P}}
  - {path: ${S}/ssh/known_hosts, mode: "0600", owner: ${P}, content: ""}
  - {path: ${S}/ssh/id_ed25519, mode: "0600", owner: ${P}, content: "private\\n"}
  - {path: ${S}/ssh/id_ed25519.pub, mode: "0640", owner: ${P}, content: "ssh-ed25519 ${KEY} ${P}\\n"}
  - {path: /etc/${P}, type: dir, mode: "0755", owner: ${P}}
  - path: /etc/${P}/config.yaml
    owner: ${P}
    content: |
      # Pulse Temperature Proxy Configuration
      allowed_peer_uids: [1000]

      # Allow ID-mapped root (LXC containers with sub-UID mapping)
      allow_idmapped_root: true
      allowed_idmap_users:
        - root

      metrics_address: "127.0.0.1:9127"

      rate_limit:
        per_peer_interval_ms: 333
        per_peer_burst: 10

      # Cluster nodes (auto-discovered during installation)
      allowed_nodes_file: "/etc/${P}/allowed_nodes.yaml"
  - path: /etc/${P}/allowed_nodes.yaml
    owner: ${P}
    content: |
      # Managed by install-sensor-proxy.sh
      # Cluster nodes
      allowed_nodes:
      - pve1
  - {path: /etc/${P}/ctid, content: "105\\n"}
  - {path: /run/${P}, type: dir, mode: "0775", owner: ${P}}
  - {path: /run/${P}/${P}.sock, type: socket, mode: "0666", owner: ${P}}
  - path: /etc/systemd/system/${P}.service
    content: |
      [Unit]
      Description=Pulse Temperature Proxy
      Documentation=https://github.com/rcourtman/Pulse
      After=network.target

      [Service]
      Type=simple
      User=${P}
      Group=${P}
      SupplementaryGroups=www-data
      WorkingDirectory=${S}
      ExecStartPre=${BIN}/${P} config validate --config /etc/${P}/config.yaml
      ExecStart=${BIN}/${P}
      Restart=on-failure
      RestartSec=5s
      RuntimeDirectory=${P}
      RuntimeDirectoryMode=0775
      RuntimeDirectoryPreserve=yes
      LogsDirectory=pulse/sensor-proxy
      LogsDirectoryMode=0750
      UMask=0007
      NoNewPrivileges=true
      ProtectSystem=strict
      ProtectHome=read-only
      ReadWritePaths=${S}
      ReadWritePaths=-/run/corosync
      ReadOnlyPaths=/run/pve-cluster /etc/pve
      ProtectKernelTunables=true
      ProtectKernelModules=true
      ProtectControlGroups=true
      ProtectClock=true
      PrivateTmp=true
      PrivateDevices=true
      ProtectProc=invisible
      ProcSubset=pid
      LockPersonality=true
      RestrictSUIDSGID=true
      RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
      RestrictNamespaces=true
      SystemCallFilter=@system-service
      SystemCallErrorNumber=EPERM
      CapabilityBoundingSet=
      AmbientCapabilities=
      KeyringMode=private
      LimitNOFILE=1024
      StandardOutput=journal
      StandardError=journal
      SyslogIdentifier=${P}

      [Install]
      WantedBy=multi-user.target
  - {path: /root/.ssh, type: dir, mode: "0700"}
  - path: /root/.ssh/authorized_keys
    mode: "0600"
    content: |
      command="${BIN}/pulse-sensor-wrapper.sh",no-port-forwarding,no-X11-forwarding,no-agent-forwarding,no-pty ssh-ed25519 ${KEY} ${P} # pulse-managed-key
  - {path: /etc/pve/lxc, type: dir, mode: "0755"}
  - path: /etc/pve/lxc/105.conf
    content: |
      arch: amd64
      cores: 2
      hostname: pulse
      memory: 2048
      net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:05,ip=dhcp,type=veth
      ostype: debian
      rootfs: local-lvm:vm-105-disk-0,size=8G
      unprivileged: 1
      lxc.mount.entry: /run/${P} mnt/pulse-proxy none bind,create=dir 0 0
`

let root: string
let report: Report

beforeAll(async () => {
  root = await buildTree(INSTALLED)
  const host = new Host(new DiskBackend(root))
  const profiles = (await detectProfiles(host)).map((d) => d.profile)
  report = await auditHost(host, {rootLabel: root, profiles})
}, 120_000)

afterAll(async () => {
  if (root) await removeTree(root)
})

type Seen = [check: string, severity: string, path: string | undefined, line: number | undefined]

/**
 * Where the installer falls short of the hardening guide: each finding stays, and says why.
 * Any other finding fails the test.
 */
const EXPECTED: Seen[] = [
  // The base config has no allowed_source_subnets: from= is made of the addresses the host has at
  // start, and goes stale when they change (the guide: "Configure allowed subnets").
  ['PSP-CONF-003', 'low', `/etc/${P}/config.yaml`, undefined],
  // allowed_peer_uids: [1000] gives host uid 1000 (the first local user, not the container's
  // Pulse, which is an id-mapped uid) every RPC, key pushes to the nodes included.
  ['PSP-CONF-004', 'high', `/etc/${P}/config.yaml`, 2],
  // The unit lacks ProtectKernelLogs, RestrictRealtime and SystemCallArchitectures=native.
  ['PSP-UNIT-004', 'low', `/etc/systemd/system/${P}.service`, undefined],
  // Pulse removed the proxy in 5.1: a host that runs it runs unsupported software (decommission,
  // then the unified agent, is the way out).
  ['PULSE-LEGACY-001', 'medium', `/etc/systemd/system/${P}.service`, undefined],
  // The installer's authorized_keys line has no from=: the key logs in as root from anywhere.
  ['PSP-KEYS-001', 'high', '/root/.ssh/authorized_keys', 1],
]

const failures = (r: Report): Seen[] =>
  r.results.filter((x) => x.status === 'fail').map((x) => [x.check, x.severity, x.path, x.line])
const sorted = (list: Seen[]) => [...list].sort((a, b) => a.join(' ').localeCompare(b.join(' ')))

describe("the layout Pulse's installer produced (scripts/install-sensor-proxy.sh, 4.x)", () => {
  it('is audited as a Proxmox host running the proxy', () => {
    expect(report.profiles).toEqual(['pulse-proxy', 'proxmox-host'])
    expect(report.results.filter((r) => r.status === 'error')).toEqual([])
  })

  it('reports only where it falls short of the hardening guide', () => {
    expect(sorted(failures(report))).toEqual(sorted(EXPECTED))
  })

  it('finds nothing in what it does for a reason: www-data, the 0775 socket directory, its state files', () => {
    const passed = (check: string) =>
      report.results.filter((r) => r.check === check).every((r) => r.status === 'pass')
    // usermod -aG www-data: pvecm on the cluster IPC.
    expect(passed('PSP-ACCOUNT-004')).toBe(true)
    // RuntimeDirectoryMode=0775 (the container, "other" on the host, enters it) and the 0666 socket.
    for (const check of ['PSP-FILE-003', 'PSP-FILE-004']) expect(passed(check), check).toBe(true)
    // known_hosts, the key pair ssh-keygen made under UMask=0007.
    for (const check of ['PSP-FILE-001', 'PSP-FILE-002', 'PSP-FILE-005', 'PSP-FILE-008'])
      expect(passed(check), check).toBe(true)
    // AF_NETLINK in RestrictAddressFamilies: the proxy lists its addresses with net.Interfaces.
    expect(passed('PSP-UNIT-003')).toBe(true)
  })
})
