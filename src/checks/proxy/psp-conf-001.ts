import {firewalled} from '../firewalled.js'
import {proxyConfigCheck} from './config-check.js'
import {DEFAULT_METRICS_ADDRESS} from './config-analysis.js'

const judged = proxyConfigCheck(
  {
    id: 'PSP-CONF-001',
    title: "The proxy's metrics endpoint listens on loopback only (or is disabled)",
    severity: 'medium',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'config', 'network'],
    rationale:
      'metrics_address (default 127.0.0.1:9127) serves Prometheus metrics over plain HTTP with no authentication: ' +
      'node names, request rates, peer uids, SSH failures. The Pulse proxy hardening guide keeps it on 127.0.0.1 and firewalls it; an ' +
      'address like ":9127" or "0.0.0.0:9127" publishes it to every network the node is on.',
    remediation:
      'metrics_address: "127.0.0.1:9127" (or "disabled") in /etc/pulse-sensor-proxy/config.yaml, then ' +
      'systemctl restart pulse-sensor-proxy; scrape it through an SSH tunnel or a local agent.',
    reference:
      'Pulse, "Pulse Temperature Proxy - Security Hardening Guide", "Post-Incident Hardening" (firewall 127.0.0.1:9127) and Pulse 4.x cmd/pulse-sensor-proxy and scripts/install-sensor-proxy.sh',
    example: {fail: 'metrics_address: ":9127"', pass: 'metrics_address: "127.0.0.1:9127"'},
  },
  (a) => {
    const address = a.conf.metricsAddress?.value.trim()
    if (address?.toLowerCase() === 'disabled') return 'the metrics endpoint is disabled'
    return `the metrics endpoint listens on ${address && address !== 'default' ? address : `${DEFAULT_METRICS_ADDRESS} (the default)`}`
  },
)

/** Its failures speak of remote clients: the firewall decides whether they can connect at all. */
export const check = firewalled({service: 'pulse-sensor-proxy metrics'}, judged)
