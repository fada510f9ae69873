import {legacyCheck} from './check.js'

export const check = legacyCheck(
  {
    id: 'PULSE-LEGACY-001',
    title: 'pulse-sensor-proxy, unsupported since Pulse 5.1.0, is not installed',
    severity: 'medium',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'lifecycle'],
    rationale:
      'Pulse deprecated pulse-sensor-proxy in 5.0.0 (2025-12-23) and removed it in 5.1.0 (2026-02-04); its SECURITY.md calls it no longer supported. A host still running it runs software that gets no fixes, and the proxy holds an SSH key that logs in as root on every cluster node: a flaw found in it now stays open. Every PSP check still runs on such a host, as the hardening guide describes. The proxy counts as installed when its unit (not masked), its daemon or its enablement link is present.',
    remediation:
      "Retire the proxy across the cluster with pcp-harden decommission (its lines, mounts and units), then install Pulse's unified agent (install.sh --least-privilege) for temperatures and host metrics.",
    reference:
      'Pulse SECURITY.md (supported versions) and docs/TEMPERATURE_MONITORING.md (rcourtman/Pulse); Pulse 5.1.0 release notes',
    example: {
      fail: '/usr/local/bin/pulse-sensor-proxy and /etc/systemd/system/pulse-sensor-proxy.service present',
      pass: "neither the proxy's unit nor its daemon present (the unified agent installed instead)",
    },
  },
  () => 'pulse-sensor-proxy is not installed',
)
