import {complement, parsePrefix, type Prefix} from '../../net/ip.js'
import {firewalled} from '../firewalled.js'
import {proxyConfigCheck} from './config-check.js'
import {analyzeProxyConfig, DEFAULT_HTTPS_ADDRESS} from './config-analysis.js'

const judged = proxyConfigCheck(
  {
    id: 'PSP-CONF-009',
    title: "The proxy's HTTPS mode (port 8443) is reachable only by the Pulse server",
    severity: 'low',
    profiles: ['pulse-proxy'],
    tags: ['pulse-proxy', 'config', 'network'],
    rationale:
      'With http_enabled: true the proxy serves HTTPS on http_listen_addr (0.0.0.0:8443 when empty; the installer ' +
      "writes it so) for a Pulse server that cannot reach the node's Unix socket. Each request meets " +
      'allowed_source_subnets first (403 to any other source), then a rate limit, then the bearer token ' +
      '(http_auth_token, 401 without it); with the token, GET /temps?node=NAME makes the proxy SSH to that node and ' +
      'return its sensor readings, and GET /health answers. The token and the source list are the only gates, so ' +
      "the installer asks for a firewall rule that lets only the Pulse server reach the port. The exposure model's " +
      'firewall verdict decides: a port the firewall closes to other hosts passes; one it opens to some networks ' +
      'stays, at low severity.',
    remediation:
      'Let only the Pulse server reach the port, e.g. with ufw: ufw allow proto tcp from PULSE_IP to any port 8443 ' +
      'under a default deny (or the equivalent nftables, iptables or Proxmox VE firewall rule); or bind ' +
      'http_listen_addr to the one address Pulse connects to.',
    reference:
      'Pulse 4.x cmd/pulse-sensor-proxy/http_server.go and config.go (http_enabled, http_listen_addr, ' +
      'http_auth_token, http_tls_cert, http_tls_key); scripts/install-sensor-proxy.sh (HTTP mode: "Allow inbound TCP ' +
      'connections on port 8443 from Pulse server")',
    example: {
      fail: 'http_enabled: true and http_listen_addr: "0.0.0.0:8443", no firewall',
      pass: 'http_enabled: true and a firewall that lets only the Pulse server reach 8443',
    },
  },
  (a) =>
    a.conf.httpEnabled?.value === true
      ? `the HTTPS mode listens on ${a.conf.httpListenAddr?.value.trim() || `${DEFAULT_HTTPS_ADDRESS} (the default)`}`
      : 'the HTTPS mode is off (http_enabled is not true)',
)

/**
 * The hosts the finding speaks of: every source allowed_source_subnets does not name (the proxy
 * answers them 403, so only a firewall keeps them from its TLS server). Undefined when the list is
 * empty (the proxy then trusts the host's own addresses, found at start).
 */
export function outsideAllowed(subnets: readonly string[]): Prefix[] | undefined {
  const allowed = subnets.flatMap((s) => {
    const p = parsePrefix(s.trim())
    return p ? [p] : []
  })
  if (allowed.length === 0) return undefined
  return ([4, 6] as const).flatMap((family) => complement(family, allowed))
}

/**
 * Its failures speak of remote clients outside allowed_source_subnets: a firewall that lets none of
 * them reach the port (only the Pulse server, say) leaves nothing to report.
 */
export const check = firewalled({service: 'pulse-sensor-proxy https'}, judged, async (host) => {
  const config = await analyzeProxyConfig(host)
  if (config.state !== 'judged') return undefined
  return outsideAllowed((config.conf.allowedSourceSubnets?.value ?? []).map((s) => s.value))
})
