/**
 * Debian 12's pcp 6.0.3 as apt installs it, written for these tests (modes, owners and the active
 * lines of each shipped file; comments shortened): pmcd.conf, pmcd.options, tls.conf and
 * /etc/sasl2/pmcd.conf 0644 root:root, /var/log/pcp and its directories 0775 pcp:pcp,
 * /var/lib/pcp/pmcd 0700 root. No /etc/pcp/tls: the package does not ship one.
 */
export const DEBIAN_PCP_TREE = `
  - path: /etc/passwd
    content: |
      root:x:0:0:root:/root:/bin/bash
      pcp:x:998:998:Performance Co-Pilot:/var/lib/pcp:/usr/sbin/nologin
  - path: /etc/group
    content: |
      root:x:0:
      adm:x:4:
      pcp:x:998:
  - {path: /etc/pcp, type: dir, mode: "0755"}
  - {path: /etc/pcp/pmcd, type: dir, mode: "0755"}
  - path: /etc/pcp/pmcd/pmcd.conf
    content: |
      # Performance Metrics Domain Specifications
      root	1	pipe	binary		/var/lib/pcp/pmdas/root/pmdaroot
      pmcd	2	dso	pmcd_init	/var/lib/pcp/pmdas/pmcd/pmda_pmcd.so
      proc	3	pipe	binary		/var/lib/pcp/pmdas/proc/pmdaproc -d 3
      xfs	11	pipe	binary		/var/lib/pcp/pmdas/xfs/pmdaxfs -d 11
      linux	60	pipe	binary		/var/lib/pcp/pmdas/linux/pmdalinux
      pmproxy	4	dso	pmproxy_init	/var/lib/pcp/pmdas/mmv/pmda_mmv.so
      mmv	70	dso	mmv_init	/var/lib/pcp/pmdas/mmv/pmda_mmv.so
      jbd2	122	dso	jbd2_init	/var/lib/pcp/pmdas/jbd2/pmda_jbd2.so
      kvm	95	pipe	binary		/var/lib/pcp/pmdas/kvm/pmdakvm -d 95

      [access]
      disallow ".*" : store;
      disallow ":*" : store;
      allow "local:*" : all;
  - path: /etc/pcp/pmcd/pmcd.options
    content: |
      # command-line options to pmcd, uncomment/edit lines as required
      # longer timeout delay for slow agents
      # -t 10
      # suppress timeouts
      # -t 0
      # make log go someplace else
      # -l /some/place/else
      # disable service advertisement
      -A
  - {path: /etc/pcp/pmcd/rc.local, mode: "0755", content: "#!/bin/sh\\n"}
  - path: /etc/default/pmcd
    content: |
      # Behaviour regarding listening on external-facing interfaces;
      # PMCD_LOCAL=1
      PMCD_ROOT_AGENT=1
      PMCD_RESTART_AGENTS=1
      PCP_NSS_INIT_MODE=readonly
  - path: /etc/pcp/tls.conf
    content: |
      # Configuration file for PCP secure sockets (TLS)
      # tls-ca-cert-file = /etc/pcp/tls/ca.crt
      # tls-key-file = /etc/pcp/tls/server.key
      # tls-cert-file = /etc/pcp/tls/server.crt
      # tls-client-key-file = /etc/pcp/tls/client.key
      # tls-client-cert-file = /etc/pcp/tls/client.crt
  - {path: /etc/sasl2, type: dir, mode: "0755"}
  - path: /etc/sasl2/pmcd.conf
    content: |
      # SASL configuration for pmcd
      mech_list: plain login scram-sha-256
      sasldb_path: /etc/pcp/passwd.db
  - {path: /var/lib/pcp, type: dir, mode: "0755"}
  - {path: /var/lib/pcp/pmcd, type: dir, mode: "0700"}
  - {path: /var/log/pcp, type: dir, mode: "0775", owner: pcp, group: pcp}
  - {path: /var/log/pcp/pmcd, type: dir, mode: "0775", owner: pcp, group: pcp}
  - {path: /var/log/pcp/pmie, type: dir, mode: "0775", owner: pcp, group: pcp}
  - {path: /var/log/pcp/pmlogger, type: dir, mode: "0775", owner: pcp, group: pcp}
  - {path: /var/log/pcp/pmproxy, type: dir, mode: "0775", owner: pcp, group: pcp}
`
