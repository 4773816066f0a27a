// Pod security and the other pod-level rules of upstream 1.31's
// ValidatePodSpec (server/api/kinds: security-context, seccomp, apparmor,
// windows-options, pod-os, pod-dns, pod-gates, ephemeral-containers,
// pod-gated-fields): each rule with the exact field and message kubectl
// prints, their order, and the manifests real charts send passing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { causes, create, type Json, update } from '../helpers/kind-rules.js';

// --- manifests ----------------------------------------------------------------

const app = (extra: Json = {}): Json => ({ name: 'web', image: 'nginx', ...extra });
const pod = (spec: Json, annotations?: Json): Json => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', ...(annotations === undefined ? {} : { annotations }) },
  spec: { containers: [app()], ...spec },
});
const deployment = (spec: Json, annotations?: Json): Json => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' }, ...(annotations === undefined ? {} : { annotations }) }, spec: { containers: [app()], ...spec } },
  },
});
/** Causes of a pod's creation with this spec. */
const podCauses = (spec: Json, annotations?: Json): string[] => causes(() => create(pod(spec, annotations)));

const ID_RANGE = 'must be between 0 and 2147483647, inclusive';
const SYSCTL_NAME = 'must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$';
const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_NAME =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const NOT_FOR_WINDOWS = 'Forbidden: cannot be set for a windows pod';
const NOT_FOR_EPHEMERAL = 'Forbidden: cannot be set for an Ephemeral Container';

/** What a typical hardened Helm chart sets. */
const hardenedPod = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  fsGroup: 1000,
  fsGroupChangePolicy: 'OnRootMismatch',
  supplementalGroups: [2000],
  seccompProfile: { type: 'RuntimeDefault' },
  sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
};
const hardenedContainer = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  runAsUser: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
};

describe('hardened manifests', () => {
  test('a hardened pod passes and keeps its security contexts as given', () => {
    const p = create(pod({ securityContext: hardenedPod, initContainers: [app({ name: 'init', securityContext: hardenedContainer })], containers: [app({ securityContext: hardenedContainer })] }));
    assert.deepEqual(p['spec'].securityContext, hardenedPod);
    assert.deepEqual(p['spec'].containers[0].securityContext, hardenedContainer);
    assert.deepEqual(p['spec'].initContainers[0].securityContext, hardenedContainer);
  });

  test('a hardened Deployment, and one with AppArmor, DNS options, gates and host aliases', () => {
    create(deployment({ securityContext: hardenedPod, containers: [app({ securityContext: hardenedContainer })] }));
    create(
      deployment({
        securityContext: { ...hardenedPod, appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-nginx' } },
        containers: [app({ securityContext: { ...hardenedContainer, appArmorProfile: { type: 'RuntimeDefault' } } })],
        dnsConfig: { nameservers: ['10.0.0.10', 'fd00::a'], searches: ['svc.cluster.local.', 'example.com'], options: [{ name: 'ndots', value: '2' }] },
        readinessGates: [{ conditionType: 'example.com/feature-1' }],
        hostAliases: [{ ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] }],
        os: { name: 'linux' },
        runtimeClassName: 'runc',
      }),
    );
  });
});

describe('pod securityContext', () => {
  test('user and group ids are 0 to MaxInt32, checked in upstream order', () => {
    assert.deepEqual(podCauses({ securityContext: { runAsUser: -1, runAsGroup: 2147483648, fsGroup: -5, supplementalGroups: [1, -1] } }), [
      `spec.securityContext.fsGroup: Invalid value: -5: ${ID_RANGE}`,
      `spec.securityContext.runAsUser: Invalid value: -1: ${ID_RANGE}`,
      `spec.securityContext.runAsGroup: Invalid value: 2147483648: ${ID_RANGE}`,
      `spec.securityContext.supplementalGroups[1]: Invalid value: -1: ${ID_RANGE}`,
    ]);
  });

  test('a shared process namespace and the host PID namespace exclude each other', () => {
    assert.deepEqual(podCauses({ shareProcessNamespace: true, hostPID: true }), [
      'spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled',
    ]);
    create(pod({ shareProcessNamespace: false, hostPID: true }));
  });

  test('sysctls: names required, well formed, unique', () => {
    assert.deepEqual(
      podCauses({ securityContext: { sysctls: [{ name: '', value: '1' }, { name: 'Net.Core', value: '1' }, { name: 'kernel.msgmax', value: '1' }, { name: 'kernel.msgmax', value: '2' }] } }),
      [
        'spec.securityContext.sysctls[0].name: Required value',
        `spec.securityContext.sysctls[1].name: Invalid value: "Net.Core": ${SYSCTL_NAME}`,
        'spec.securityContext.sysctls[3].name: Duplicate value: "kernel.msgmax"',
      ],
    );
    create(pod({ securityContext: { sysctls: [{ name: 'net/ipv4/conf/eth0.100/rp_filter', value: '1' }, { name: 'kernel.shm_rmid_forced', value: '1' }] } }));
  });

  test('no sysctl of a namespace the pod shares with its host, in either spelling', () => {
    const sysctls = [
      { name: 'net.ipv4.ip_forward', value: '1' },
      { name: 'net/ipv4/tcp_syncookies', value: '1' },
      { name: 'kernel.shm_rmid_forced', value: '1' },
      { name: 'fs.mqueue.msg_max', value: '10' },
      { name: 'kernel.msg*', value: '1' },
    ];
    assert.deepEqual(podCauses({ hostNetwork: true, hostIPC: true, securityContext: { sysctls } }), [
      `spec.securityContext.sysctls[0].name: Invalid value: "net.ipv4.ip_forward": may not be specified when 'hostNetwork' is true`,
      `spec.securityContext.sysctls[1].name: Invalid value: "net/ipv4/tcp_syncookies": may not be specified when 'hostNetwork' is true`,
      `spec.securityContext.sysctls[2].name: Invalid value: "kernel.shm_rmid_forced": may not be specified when 'hostIPC' is true`,
      `spec.securityContext.sysctls[3].name: Invalid value: "fs.mqueue.msg_max": may not be specified when 'hostIPC' is true`,
      `spec.securityContext.sysctls[4].name: Invalid value: "kernel.msg*": ${SYSCTL_NAME}`,
      `spec.securityContext.sysctls[4].name: Invalid value: "kernel.msg*": may not be specified when 'hostIPC' is true`,
    ]);
    create(pod({ hostNetwork: true, securityContext: { sysctls: [{ name: 'kernel.shm_rmid_forced', value: '1' }] } }));
  });

  test('fsGroupChangePolicy is Always or OnRootMismatch', () => {
    assert.deepEqual(podCauses({ securityContext: { fsGroupChangePolicy: 'Sometimes' } }), [
      'spec.securityContext.fsGroupChangePolicy: Unsupported value: "Sometimes": supported values: "Always", "OnRootMismatch"',
    ]);
  });
});

describe('seccomp and AppArmor profiles', () => {
  test('seccompProfile: a known type; a relative, descending localhost profile only for Localhost', () => {
    assert.deepEqual(podCauses({ securityContext: { seccompProfile: {} } }), ['spec.securityContext.seccompProfile.type: Required value: type is required when seccompProfile is set']);
    assert.deepEqual(podCauses({ securityContext: { seccompProfile: { type: 'Default' } } }), [
      'spec.securityContext.seccompProfile.type: Unsupported value: "Default": supported values: "Localhost", "RuntimeDefault", "Unconfined"',
    ]);
    assert.deepEqual(podCauses({ containers: [app({ securityContext: { seccompProfile: { type: 'Localhost' } } })] }), [
      'spec.containers[0].securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost',
    ]);
    assert.deepEqual(podCauses({ securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '/etc/../profile.json' } } }), [
      'spec.securityContext.seccompProfile.localhostProfile: Invalid value: "/etc/../profile.json": must be a relative path',
      `spec.securityContext.seccompProfile.localhostProfile: Invalid value: "/etc/../profile.json": must not contain '..'`,
    ]);
    assert.deepEqual(podCauses({ securityContext: { seccompProfile: { type: 'RuntimeDefault', localhostProfile: 'p.json' } } }), [
      'spec.securityContext.seccompProfile.localhostProfile: Invalid value: core.SeccompProfile{Type:"RuntimeDefault", LocalhostProfile:(*string)(0xc000000000)}: can only be set when seccomp type is Localhost',
    ]);
    create(pod({ securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } } }));
  });

  test('appArmorProfile: a known type; an unpadded localhost profile of at most 4095 bytes only for Localhost', () => {
    const appArmor = (profile: Json): string[] => podCauses({ securityContext: { appArmorProfile: profile } });
    assert.deepEqual(appArmor({}), ['spec.securityContext.appArmorProfile.type: Required value: type is required when appArmorProfile is set']);
    assert.deepEqual(appArmor({ type: 'Complain' }), [
      'spec.securityContext.appArmorProfile.type: Unsupported value: "Complain": supported values: "Localhost", "RuntimeDefault", "Unconfined"',
    ]);
    assert.deepEqual(appArmor({ type: 'Localhost' }), ['spec.securityContext.appArmorProfile.localhostProfile: Required value: must be set when AppArmor type is Localhost']);
    assert.deepEqual(appArmor({ type: 'Localhost', localhostProfile: '' }), ['spec.securityContext.appArmorProfile.localhostProfile: Required value: must be set when AppArmor type is Localhost']);
    assert.deepEqual(appArmor({ type: 'Localhost', localhostProfile: ' p ' }), [
      'spec.securityContext.appArmorProfile.localhostProfile: Invalid value: " p ": must not be padded with whitespace',
    ]);
    assert.deepEqual(appArmor({ type: 'Localhost', localhostProfile: 'p'.repeat(4096) }), ['spec.securityContext.appArmorProfile.localhostProfile: Too long: may not be longer than 4095']);
    assert.deepEqual(appArmor({ type: 'Unconfined', localhostProfile: 'p' }), [
      'spec.securityContext.appArmorProfile.localhostProfile: Invalid value: "p": can only be set when AppArmor type is Localhost',
    ]);
  });
});

describe('container securityContext', () => {
  test('ids, then seccomp, then privilege escalation, then AppArmor', () => {
    const sc = { runAsUser: -1, runAsGroup: -2, seccompProfile: { type: 'Bogus' }, allowPrivilegeEscalation: false, privileged: true, appArmorProfile: { type: '' } };
    const value =
      'core.SecurityContext{Capabilities:(*core.Capabilities)(nil), Privileged:(*bool)(0xc000000000), SELinuxOptions:(*core.SELinuxOptions)(nil), WindowsOptions:(*core.WindowsSecurityContextOptions)(nil), RunAsUser:(*int64)(0xc000000000), RunAsGroup:(*int64)(0xc000000000), RunAsNonRoot:(*bool)(nil), ReadOnlyRootFilesystem:(*bool)(nil), AllowPrivilegeEscalation:(*bool)(0xc000000000), ProcMount:(*core.ProcMountType)(nil), SeccompProfile:(*core.SeccompProfile)(0xc000000000), AppArmorProfile:(*core.AppArmorProfile)(0xc000000000)}';
    assert.deepEqual(podCauses({ containers: [app({ securityContext: sc })] }), [
      `spec.containers[0].securityContext.runAsUser: Invalid value: -1: ${ID_RANGE}`,
      `spec.containers[0].securityContext.runAsGroup: Invalid value: -2: ${ID_RANGE}`,
      'spec.containers[0].securityContext.seccompProfile.type: Unsupported value: "Bogus": supported values: "Localhost", "RuntimeDefault", "Unconfined"',
      `spec.containers[0].securityContext: Invalid value: ${value}: cannot set \`allowPrivilegeEscalation\` to false and \`privileged\` to true`,
      'spec.containers[0].securityContext.appArmorProfile.type: Required value: type is required when appArmorProfile is set',
    ]);
  });

  test('CAP_SYS_ADMIN, spelled so, cannot be added without privilege escalation; init containers are checked alike', () => {
    const sc = { allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN', 'NET_ADMIN', 'CAP_SYS_ADMIN'] } };
    const value =
      'core.SecurityContext{Capabilities:(*core.Capabilities)(0xc000000000), Privileged:(*bool)(nil), SELinuxOptions:(*core.SELinuxOptions)(nil), WindowsOptions:(*core.WindowsSecurityContextOptions)(nil), RunAsUser:(*int64)(nil), RunAsGroup:(*int64)(nil), RunAsNonRoot:(*bool)(nil), ReadOnlyRootFilesystem:(*bool)(nil), AllowPrivilegeEscalation:(*bool)(0xc000000000), ProcMount:(*core.ProcMountType)(nil), SeccompProfile:(*core.SeccompProfile)(nil), AppArmorProfile:(*core.AppArmorProfile)(nil)}';
    const message = `Invalid value: ${value}: cannot set \`allowPrivilegeEscalation\` to false and \`capabilities.Add\` CAP_SYS_ADMIN`;
    assert.deepEqual(podCauses({ initContainers: [app({ name: 'init', securityContext: sc })] }), [
      `spec.initContainers[0].securityContext: ${message}`,
      `spec.initContainers[0].securityContext: ${message}`,
    ]);
    create(pod({ containers: [app({ securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['SYS_ADMIN'] } } })] }));
    create(pod({ containers: [app({ securityContext: { privileged: true } })] }));
  });

  test("a container's causes come where upstream checks its security context: after its resources, before the pod's", () => {
    assert.deepEqual(
      podCauses({
        securityContext: { runAsUser: -1 },
        containers: [app({ imagePullPolicy: 'Sometimes', securityContext: { runAsUser: -1 }, livenessProbe: { exec: {} } })],
      }),
      [
        'spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"',
        `spec.containers[0].securityContext.runAsUser: Invalid value: -1: ${ID_RANGE}`,
        'spec.containers[0].livenessProbe.exec.command: Required value',
        `spec.securityContext.runAsUser: Invalid value: -1: ${ID_RANGE}`,
      ],
    );
  });
});

describe('Windows options and the os field', () => {
  test('windowsOptions are checked on any pod: credential spec name and size, runAsUserName', () => {
    const windows = (options: Json): string[] => podCauses({ securityContext: { windowsOptions: options } });
    assert.deepEqual(windows({ gmsaCredentialSpecName: 'Spec_1', gmsaCredentialSpec: '' }), [
      `spec.securityContext.windowsOptions.gmsaCredentialSpecName: Invalid value: "Spec_1": ${SUBDOMAIN}`,
      'spec.securityContext.windowsOptions.gmsaCredentialSpec: Invalid value: "": gmsaCredentialSpec cannot be an empty string',
    ]);
    const user = (name: string): string[] => windows({ runAsUserName: name }).map((c) => c.replace(/^spec\.securityContext\.windowsOptions\.runAsUserName: /, ''));
    assert.deepEqual(user(''), ['Invalid value: "": runAsUserName cannot be an empty string']);
    assert.deepEqual(user('a\tb'), ['Invalid value: "a\\tb": runAsUserName cannot contain control characters']);
    assert.deepEqual(user('a\\b\\c'), ['Invalid value: "a\\\\b\\\\c": runAsUserName cannot contain more than one backslash']);
    assert.deepEqual(user('.bad domain!\\'), [
      `Invalid value: ".bad domain!\\\\": runAsUserName's Domain doesn't match the NetBios nor the DNS format`,
      `Invalid value: ".bad domain!\\\\": runAsUserName's User cannot be empty`,
    ]);
    assert.deepEqual(user('..'), [`Invalid value: "..": runAsUserName's User cannot contain only periods or spaces`]);
    assert.deepEqual(user('CORP\\a@b'), [`Invalid value: "CORP\\\\a@b": runAsUserName's User cannot contain the following characters: "/\\:;|=,+*?<>@[]`]);
    assert.deepEqual(user('u'.repeat(105)), [`Invalid value: "${'u'.repeat(105)}": runAsUserName's User length must not be longer than 104 characters`]);
    create(pod({ securityContext: { windowsOptions: { runAsUserName: 'corp.example.com\\ContainerAdministrator', gmsaCredentialSpecName: 'webapp' } } }));
  });

  test('hostProcess: the same on pod and containers, all or none of them, with host networking', () => {
    const hostProcess = (value: boolean): Json => ({ securityContext: { windowsOptions: { hostProcess: value } } });
    assert.deepEqual(
      podCauses({ ...hostProcess(true), initContainers: [app({ name: 'init', ...hostProcess(false) })], containers: [app(hostProcess(true)), app({ name: 'sidecar' })] }),
      [
        'spec.initContainers[0].securityContext.windowsOptions.hostProcess: Invalid value: false: pod hostProcess value must be identical if both are specified, was true',
        'spec: Invalid value: "": If pod contains any hostProcess containers then all containers must be HostProcess containers',
        'spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers',
      ],
    );
    create(pod({ hostNetwork: true, os: { name: 'windows' }, ...hostProcess(true) }));
  });

  test('os.name: required, linux or windows', () => {
    assert.deepEqual(podCauses({ os: {} }), ['spec.os.name: Required value: cannot be empty']);
    assert.deepEqual(podCauses({ os: { name: 'darwin' } }), ['spec.os: Unsupported value: "darwin": supported values: "linux", "windows"']);
  });

  test('a Linux pod has no Windows options', () => {
    const windowsOptions = { windowsOptions: { runAsUserName: 'app' } };
    assert.deepEqual(podCauses({ os: { name: 'linux' }, securityContext: windowsOptions, containers: [app({ securityContext: windowsOptions })] }), [
      'spec.securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod',
      'spec.containers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod',
    ]);
  });

  test("a Windows pod has none of Linux's security settings", () => {
    const spec = {
      os: { name: 'windows' },
      hostPID: true,
      hostIPC: true,
      shareProcessNamespace: false,
      securityContext: { ...hardenedPod, appArmorProfile: { type: 'RuntimeDefault' }, seLinuxOptions: { level: 's0' } },
      containers: [app({ securityContext: { ...hardenedContainer, procMount: 'Default', runAsGroup: 1000 } })],
    };
    assert.deepEqual(podCauses(spec), [
      `spec.securityContext.appArmorProfile: ${NOT_FOR_WINDOWS}`,
      `spec.securityContext.seLinuxOptions: ${NOT_FOR_WINDOWS}`,
      `spec.hostPID: ${NOT_FOR_WINDOWS}`,
      `spec.hostIPC: ${NOT_FOR_WINDOWS}`,
      `spec.securityContext.seccompProfile: ${NOT_FOR_WINDOWS}`,
      `spec.securityContext.fsGroup: ${NOT_FOR_WINDOWS}`,
      `spec.securityContext.fsGroupChangePolicy: ${NOT_FOR_WINDOWS}`,
      `spec.securityContext.sysctls: ${NOT_FOR_WINDOWS}`,
      `spec.shareProcessNamespace: ${NOT_FOR_WINDOWS}`,
      `spec.securityContext.runAsUser: ${NOT_FOR_WINDOWS}`,
      `spec.securityContext.runAsGroup: ${NOT_FOR_WINDOWS}`,
      `spec.securityContext.supplementalGroups: ${NOT_FOR_WINDOWS}`,
      `spec.containers[0].securityContext.seccompProfile: ${NOT_FOR_WINDOWS}`,
      `spec.containers[0].securityContext.capabilities: ${NOT_FOR_WINDOWS}`,
      `spec.containers[0].securityContext.readOnlyRootFilesystem: ${NOT_FOR_WINDOWS}`,
      `spec.containers[0].securityContext.privileged: ${NOT_FOR_WINDOWS}`,
      `spec.containers[0].securityContext.allowPrivilegeEscalation: ${NOT_FOR_WINDOWS}`,
      `spec.containers[0].securityContext.procMount: ${NOT_FOR_WINDOWS}`,
      `spec.containers[0].securityContext.runAsUser: ${NOT_FOR_WINDOWS}`,
      `spec.containers[0].securityContext.runAsGroup: ${NOT_FOR_WINDOWS}`,
    ]);
    create(pod({ os: { name: 'windows' }, securityContext: { runAsNonRoot: true, windowsOptions: { runAsUserName: 'ContainerUser' } } }));
  });
});

describe('fields 1.31 drops before validation (default feature gates)', () => {
  test('hostUsers and resizePolicy go, procMount becomes Default, on pods and templates', () => {
    const spec = {
      hostUsers: false,
      hostNetwork: true,
      containers: [app({ resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'Bogus' }], securityContext: { procMount: 'Unmasked' } })],
    };
    const p = create(pod(spec));
    assert.equal(p['spec'].hostUsers, undefined);
    assert.equal(p['spec'].containers[0].resizePolicy, undefined);
    assert.deepEqual(p['spec'].containers[0].securityContext, { procMount: 'Default' });
    const d = create(deployment(spec));
    assert.equal(d['spec'].template.spec.hostUsers, undefined);
    assert.deepEqual(d['spec'].template.spec.containers[0].securityContext, { procMount: 'Default' });
  });
});

describe('dnsConfig', () => {
  test('dnsPolicy None needs a config with a nameserver, and nothing else is checked then', () => {
    assert.deepEqual(podCauses({ dnsPolicy: 'None' }), ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None']);
    assert.deepEqual(podCauses({ dnsPolicy: 'None', dnsConfig: { searches: ['Bad_Domain'] } }), [
      'spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None',
    ]);
  });

  test('nameservers: at most 3, each an IP', () => {
    assert.deepEqual(podCauses({ dnsConfig: { nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9', 'dns.example'] } }), [
      'spec.dnsConfig.nameservers: Invalid value: []string{"1.1.1.1", "8.8.8.8", "9.9.9.9", "dns.example"}: must not have more than 3 nameservers',
      'spec.dnsConfig.nameservers[3]: Invalid value: "dns.example": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
  });

  test('searches: at most 32 and 2048 characters with their spaces, each a subdomain with an optional trailing dot; options named', () => {
    const many = Array.from({ length: 33 }, (_, i) => `d${i}.example`);
    assert.deepEqual(podCauses({ dnsConfig: { searches: many } }), [`spec.dnsConfig.searches: Invalid value: []string{${many.map((s) => `"${s}"`).join(', ')}}: must not have more than 32 search paths`]);
    // Nine valid domains of 249 characters: 2249 with the spaces between them.
    const long = Array.from({ length: 9 }, (_, i) => Array.from({ length: 5 }, () => String(i).repeat(49)).join('.'));
    assert.deepEqual(podCauses({ dnsConfig: { searches: long } }), [
      `spec.dnsConfig.searches: Invalid value: []string{${long.map((s) => `"${s}"`).join(', ')}}: must not have more than 2048 characters (including spaces) in the search list`,
    ]);
    const exactly = [...long.slice(0, 8), '9'.repeat(48)];
    assert.equal(exactly.join(' ').length, 2048);
    create(pod({ dnsConfig: { searches: exactly } }));
    assert.deepEqual(podCauses({ dnsConfig: { searches: ['ok.example.', 'Bad_Domain.', ''], options: [{ name: 'ndots', value: '1' }, { value: '2' }] } }), [
      `spec.dnsConfig.searches[1]: Invalid value: "Bad_Domain": ${SUBDOMAIN}`,
      `spec.dnsConfig.searches[2]: Invalid value: "": ${SUBDOMAIN}`,
      'spec.dnsConfig.options[1]: Required value: must not be empty',
    ]);
  });
});

describe('gates, host aliases, runtime class', () => {
  test('readiness gates are qualified names; scheduling gates too, and unique', () => {
    assert.deepEqual(podCauses({ readinessGates: [{ conditionType: 'example.com/Ready' }, { conditionType: 'not ok' }] }), [
      `spec.readinessGates[1].conditionType: Invalid value: "not ok": ${QUALIFIED_NAME}`,
    ]);
    assert.deepEqual(podCauses({ schedulingGates: [{ name: 'example.com/quota' }, { name: 'example.com/quota' }, { name: '-x' }] }), [
      'spec.schedulingGates[1]: Duplicate value: "example.com/quota"',
      `spec.schedulingGates[2]: Invalid value: "-x": ${QUALIFIED_NAME}`,
    ]);
  });

  test('host aliases: an IP and subdomains', () => {
    assert.deepEqual(podCauses({ hostAliases: [{ ip: '10.0.0.300', hostnames: ['db.local', 'DB'] }] }), [
      'spec.hostAliases[0].ip: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      `spec.hostAliases[0].hostnames[1]: Invalid value: "DB": ${SUBDOMAIN}`,
    ]);
  });

  test('runtimeClassName is a subdomain', () => {
    assert.deepEqual(podCauses({ runtimeClassName: 'Kata' }), [`spec.runtimeClassName: Invalid value: "Kata": ${SUBDOMAIN}`]);
  });

  test('pod-level causes in upstream order: security context, DNS, gates, host processes, then names, host aliases, runtime class, os', () => {
    assert.deepEqual(
      podCauses({
        os: { name: 'plan9' },
        runtimeClassName: 'X',
        hostAliases: [{ ip: 'x' }],
        nodeName: 'N',
        securityContext: { windowsOptions: { hostProcess: true } },
        schedulingGates: [{ name: '' }],
        readinessGates: [{ conditionType: '' }],
        dnsConfig: { options: [{}] },
      }).map((c) => c.replace(/:.*/, '')),
      [
        'spec.dnsConfig.options[0]',
        'spec.readinessGates[0].conditionType',
        'spec.readinessGates[0].conditionType',
        'spec.schedulingGates[0]',
        'spec.schedulingGates[0]',
        'spec.hostNetwork',
        'spec.nodeName',
        'spec.hostAliases[0].ip',
        'spec.runtimeClassName',
        'spec.os',
        'spec.nodeName',
      ],
    );
  });
});

describe('lifecycle hooks', () => {
  test('a sleep ends within the grace period; httpGet header names are tokens', () => {
    const lifecycle = { preStop: { sleep: { seconds: 45 } }, postStart: { httpGet: { port: 80, httpHeaders: [{ name: 'X Bad', value: '1' }] } } };
    assert.deepEqual(podCauses({ containers: [app({ lifecycle })] }), [
      `spec.containers[0].lifecycle.postStart.httpGet.httpHeaders: Invalid value: "X Bad": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')`,
      'spec.containers[0].lifecycle.preStop.sleep: Invalid value: 45: must be greater than 0 and less than terminationGracePeriodSeconds (30)',
    ]);
    assert.deepEqual(podCauses({ containers: [app({ lifecycle: { preStop: { sleep: { seconds: 0 } } } })] }), [
      'spec.containers[0].lifecycle.preStop.sleep: Invalid value: 0: must be greater than 0 and less than terminationGracePeriodSeconds (30)',
    ]);
    create(pod({ terminationGracePeriodSeconds: 60, containers: [app({ lifecycle: { preStop: { sleep: { seconds: 45 } } } })] }));
  });
});

describe('container environment', () => {
  const env = (...vars: Json[]): string[] => podCauses({ containers: [app({ env: vars })] }).map((c) => c.replace(/^spec\.containers\[0\]\./, ''));
  const ENV_PATHS = '"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"';

  test('valueFrom: exactly one source, and no value beside it', () => {
    assert.deepEqual(env({ name: 'A', valueFrom: {} }), ['env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`']);
    assert.deepEqual(env({ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }), ['env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty']);
    assert.deepEqual(env({ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 's', key: 'k' } } }), [
      'env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time',
    ]);
    assert.deepEqual(env({ valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }), ['env[0].name: Required value']);
  });

  test('fieldRef: a v1 field label the downward API gives env vars, or a label or annotation by a qualified key', () => {
    assert.deepEqual(
      env(
        { name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } },
        { name: 'B', valueFrom: { fieldRef: { fieldPath: "metadata.labels['Bad Key']" } } },
        { name: 'C', valueFrom: { fieldRef: { fieldPath: 'status.foo' } } },
        { name: 'D', valueFrom: { fieldRef: { fieldPath: "spec.nodeName['x']" } } },
        { name: 'E', valueFrom: { fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } } },
        { name: 'F', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['Example.COM/Key']" } } },
        { name: 'G', valueFrom: { fieldRef: { fieldPath: 'spec.host' } } },
      ),
      [
        `env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "metadata.labels": supported values: ${ENV_PATHS}`,
        `env[1].valueFrom.fieldRef: Invalid value: "Bad Key": ${QUALIFIED_NAME}`,
        'env[2].valueFrom.fieldRef.fieldPath: Invalid value: "status.foo": error converting fieldPath: field label not supported: status.foo',
        `env[3].valueFrom.fieldRef.fieldPath: Invalid value: "spec.nodeName['x']": error converting fieldPath: field label does not support subscript: spec.nodeName['x']`,
        'env[4].valueFrom.fieldRef.fieldPath: Invalid value: "metadata.name": error converting fieldPath: unsupported pod version: v2',
      ],
    );
  });

  test('resourceFieldRef: a container resource, with a divisor in its units', () => {
    assert.deepEqual(
      env(
        { name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } },
        { name: 'B', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1k' } } },
        { name: 'C', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '2Mi' } } },
        { name: 'D', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '0.001' } } },
        { name: 'E', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1000' } } },
        { name: 'F', valueFrom: { resourceFieldRef: { resource: 'limits.hugepages-2Mi', divisor: '1Mi' } } },
      ),
      [
        'env[0].valueFrom.resourceFieldRef.resource: Unsupported value: "limits.gpu": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"',
        `env[1].valueFrom.resourceFieldRef.divisor: Invalid value: "limits.cpu": only divisor's values 1m and 1 are supported with the cpu resource`,
        `env[2].valueFrom.resourceFieldRef.divisor: Invalid value: "requests.memory": only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource`,
      ],
    );
  });

  test('configMapKeyRef and secretKeyRef: a subdomain name, even an empty one, and a config key', () => {
    assert.deepEqual(env({ name: 'A', valueFrom: { configMapKeyRef: { key: '..' } } }, { name: 'B', valueFrom: { secretKeyRef: { name: 's' } } }), [
      `env[0].valueFrom.configMapKeyRef.name: Invalid value: "": ${SUBDOMAIN}`,
      `env[0].valueFrom.configMapKeyRef.key: Invalid value: "..": must not be '..'`,
      'env[1].valueFrom.secretKeyRef.key: Required value',
    ]);
  });

  test('envFrom: one ConfigMap or Secret each, a prefix that is a variable name', () => {
    const envFrom = (sources: Json[]): string[] => podCauses({ containers: [app({ envFrom: sources })] });
    assert.deepEqual(envFrom([{}]), ['spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`']);
    assert.deepEqual(envFrom([{ prefix: '1X', configMapRef: { name: 'settings-' }, secretRef: { name: 'Creds' } }]), [
      `spec.containers[0].envFrom[0].prefix: Invalid value: "1X": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
      `spec.containers[0].envFrom[0].secretRef.name: Invalid value: "Creds": ${SUBDOMAIN}`,
      'spec.containers[0].envFrom: Invalid value: "": may not have more than one field specified at a time',
    ]);
    assert.deepEqual(envFrom([{ secretRef: {} }]), ['spec.containers[0].envFrom[0].secretRef.name: Required value']);
    create(pod({ containers: [app({ envFrom: [{ prefix: 'APP_', configMapRef: { name: 'settings' } }, { secretRef: { name: 'creds', optional: true } }] })] }));
  });
});

describe('ephemeral containers', () => {
  test('checked like containers, unique, targeting a container, without workload fields; then refused on create', () => {
    const debug = {
      name: 'web',
      image: ' busybox',
      targetContainerName: 'nope',
      ports: [{ containerPort: 80 }],
      resources: { limits: { cpu: '1' } },
      readinessProbe: { exec: { command: ['true'] } },
      securityContext: { runAsUser: -1 },
      volumeMounts: [{ name: 'data', mountPath: '/data', subPath: 'x', subPathExpr: '$(POD)' }],
    };
    assert.deepEqual(podCauses({ volumes: [{ name: 'data', emptyDir: {} }], ephemeralContainers: [debug] }), [
      'spec.ephemeralContainers[0].volumeMounts[0].subPathExpr: Invalid value: "$(POD)": subPathExpr and subPath are mutually exclusive',
      `spec.ephemeralContainers[0].securityContext.runAsUser: Invalid value: -1: ${ID_RANGE}`,
      'spec.ephemeralContainers[0].image: Invalid value: " busybox": must not have leading or trailing whitespace',
      'spec.ephemeralContainers[0].name: Duplicate value: "web"',
      'spec.ephemeralContainers[0].targetContainerName: Not found: "nope"',
      `spec.ephemeralContainers[0].ports: ${NOT_FOR_EPHEMERAL}`,
      `spec.ephemeralContainers[0].resources: ${NOT_FOR_EPHEMERAL}`,
      `spec.ephemeralContainers[0].readinessProbe: ${NOT_FOR_EPHEMERAL}`,
      `spec.ephemeralContainers[0].volumeMounts[0].subPath: ${NOT_FOR_EPHEMERAL}`,
      `spec.ephemeralContainers[0].volumeMounts[0].subPathExpr: ${NOT_FOR_EPHEMERAL}`,
      'spec.ephemeralContainers: Forbidden: cannot be set on create',
    ]);
    assert.deepEqual(podCauses({ ephemeralContainers: [{ name: 'debug', image: 'busybox', targetContainerName: 'web' }] }), ['spec.ephemeralContainers: Forbidden: cannot be set on create']);
  });

  test('templates may not hold them, and say so after checking them', () => {
    assert.deepEqual(
      causes(() => create(deployment({ ephemeralContainers: [{ name: 'debug', image: 'busybox', ports: [] }] }))),
      [`spec.template.spec.ephemeralContainers[0].ports: ${NOT_FOR_EPHEMERAL}`, 'spec.template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template'],
    );
  });
});

describe('seccomp annotations', () => {
  const POD_KEY = 'seccomp.security.alpha.kubernetes.io/pod';
  const CONTAINER_KEY = 'container.seccomp.security.alpha.kubernetes.io/web';

  test('values: runtime/default, docker/default, unconfined or a relative localhost/ profile', () => {
    assert.deepEqual(podCauses({}, { [POD_KEY]: 'default', [CONTAINER_KEY]: 'localhost//abs.json', 'container.seccomp.security.alpha.kubernetes.io/other': 'docker/default' }), [
      `metadata.annotations.${POD_KEY}: Invalid value: "default": must be a valid seccomp profile`,
      `metadata.annotations.${CONTAINER_KEY}: Invalid value: "/abs.json": must be a relative path`,
    ]);
  });

  test('an annotation given with its field must agree with it, on pods and templates', () => {
    const spec = {
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [app({ securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'a.json' } } })],
    };
    assert.deepEqual(podCauses(spec, { [POD_KEY]: 'unconfined', [CONTAINER_KEY]: 'localhost/b.json' }), [
      'spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match',
      'spec.containers[0].securityContext.seccompProfile.localhostProfile: Forbidden: seccomp profile in annotation and field must match',
    ]);
    assert.deepEqual(
      causes(() => create(deployment(spec, { [POD_KEY]: 'docker/default', [CONTAINER_KEY]: 'runtime/default' }))),
      ['spec.template.spec.containers[0].securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match'],
    );
    const p = create(pod(spec, { [POD_KEY]: 'runtime/default', [CONTAINER_KEY]: 'localhost/a.json' }));
    // 1.31 copies neither way.
    assert.deepEqual(p['metadata'].annotations, { [POD_KEY]: 'runtime/default', [CONTAINER_KEY]: 'localhost/a.json' });
  });
});

describe('AppArmor annotations', () => {
  const KEY = 'container.apparmor.security.beta.kubernetes.io/web';

  test('each names a container of the pod and holds a profile', () => {
    assert.deepEqual(podCauses({}, { 'container.apparmor.security.beta.kubernetes.io/ghost': 'runtime/default', [KEY]: 'enforce' }), [
      'metadata.annotations[container.apparmor.security.beta.kubernetes.io/ghost]: Invalid value: "ghost": container not found',
      'metadata.annotations[container.apparmor.security.beta.kubernetes.io/web]: Invalid value: "enforce": invalid AppArmor profile name: "enforce"',
    ]);
  });

  test("a pod's creation copies fields to annotations and annotations to fields", () => {
    const p = create(
      pod(
        {
          securityContext: { appArmorProfile: { type: 'RuntimeDefault' } },
          initContainers: [app({ name: 'init' })],
          containers: [app({ securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-web' } } }), app({ name: 'side' }), app({ name: 'same' })],
        },
        { 'container.apparmor.security.beta.kubernetes.io/side': 'localhost/side-profile', 'container.apparmor.security.beta.kubernetes.io/same': 'runtime/default' },
      ),
    );
    assert.deepEqual(p['metadata'].annotations, {
      'container.apparmor.security.beta.kubernetes.io/init': 'runtime/default',
      [KEY]: 'localhost/k8s-web',
      'container.apparmor.security.beta.kubernetes.io/side': 'localhost/side-profile',
      'container.apparmor.security.beta.kubernetes.io/same': 'runtime/default',
    });
    assert.deepEqual(p['spec'].containers[1].securityContext, { appArmorProfile: { type: 'Localhost', localhostProfile: 'side-profile' } });
    // The pod's own profile already says it.
    assert.equal(p['spec'].containers[2].securityContext, undefined);
    // Templates and Windows pods get no copy.
    const d = create(deployment({ securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }));
    assert.equal(d['spec'].template.metadata.annotations, undefined);
    assert.equal(create(pod({ os: { name: 'windows' } }, { [KEY]: 'unconfined' }))['spec'].containers[0].securityContext, undefined);
  });

  test('an annotation given with a field must agree with it', () => {
    assert.deepEqual(podCauses({ containers: [app({ securityContext: { appArmorProfile: { type: 'Unconfined' } } })] }, { [KEY]: 'runtime/default' }), [
      'spec.containers[0].securityContext.appArmorProfile.type: Forbidden: apparmor type in annotation and field must match',
    ]);
    assert.deepEqual(podCauses({ containers: [app({ securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'a' } } })] }, { [KEY]: 'localhost/b' }), [
      'spec.containers[0].securityContext.appArmorProfile.localhostProfile: Forbidden: apparmor profile in annotation and field must match',
    ]);
    // Against the pod's profile there is no disagreement: the copy gives the container the annotation's own.
    const p = create(pod({ securityContext: { appArmorProfile: { type: 'Localhost', localhostProfile: 'a' } } }, { [KEY]: 'localhost/b' }));
    assert.deepEqual(p['spec'].containers[0].securityContext, { appArmorProfile: { type: 'Localhost', localhostProfile: 'b' } });
  });

  test("after creation a pod's AppArmor annotations cannot change; other annotations' errors are reported twice on update, as upstream does", () => {
    const current = create(pod({ securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }));
    const annotated = (annotations: Json): Json => ({ ...current, metadata: { ...current['metadata'], annotations } });
    assert.deepEqual(causes(() => update(current, annotated({ [KEY]: 'unconfined' }))), [
      `metadata.annotations[${KEY}]: Forbidden: may not remove or update AppArmor annotations`,
    ]);
    assert.deepEqual(causes(() => update(current, annotated({}))), [`metadata.annotations[${KEY}]: Forbidden: may not remove or update AppArmor annotations`]);
    const sideKey = 'container.apparmor.security.beta.kubernetes.io/side';
    assert.deepEqual(causes(() => update(current, annotated({ [KEY]: 'runtime/default', [sideKey]: 'unconfined' }))), [
      `metadata.annotations[${sideKey}]: Invalid value: "side": container not found`,
      `metadata.annotations[${sideKey}]: Forbidden: may not add AppArmor annotations`,
      `metadata.annotations[${sideKey}]: Invalid value: "side": container not found`,
    ]);
    update(current, annotated({ [KEY]: 'runtime/default', team: 'web' }));
  });
});
