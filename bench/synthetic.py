"""The synthetic GitOps repository bench/run.py measures: many overlays of a
shared base, mostly ordinary application objects, and MetalLB objects."""

from __future__ import annotations

from pathlib import Path

APPS_PER_TARGET = 12  # ordinary apps per overlay, beside MetalLB's objects

# -- the synthetic repository -----------------------------------------------------------


def _deployment(app: str, namespace: str, index: int) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {namespace}
  labels:
    app.kubernetes.io/name: {app}
    app.kubernetes.io/part-of: shop
    app.kubernetes.io/managed-by: flux
  annotations:
    reloader.stakater.com/auto: "true"
spec:
  replicas: {1 + index % 3}
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
  strategy:
    type: RollingUpdate
    rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {app}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      serviceAccountName: {app}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        fsGroup: 10001
      containers:
      - name: {app}
        image: registry.example.com/shop/{app}:1.{index % 20}.{index % 7}
        imagePullPolicy: IfNotPresent
        args: ["--config=/etc/{app}/config.yaml", "--log-level=info"]
        ports:
        - {{name: http, containerPort: 8080, protocol: TCP}}
        - {{name: metrics, containerPort: 9090, protocol: TCP}}
        env:
        - name: APP_NAME
          value: {app}
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef: {{fieldPath: metadata.namespace}}
        - name: DATABASE_URL
          valueFrom:
            secretKeyRef: {{name: {app}-db, key: url}}
        resources:
          requests: {{cpu: 100m, memory: 128Mi}}
          limits: {{cpu: "1", memory: 512Mi}}
        readinessProbe:
          httpGet: {{path: /ready, port: http}}
          periodSeconds: 10
        livenessProbe:
          httpGet: {{path: /healthz, port: http}}
          initialDelaySeconds: 15
        volumeMounts:
        - {{name: config, mountPath: /etc/{app}}}
      volumes:
      - name: config
        configMap: {{name: {app}-config}}
      tolerations:
      - {{key: dedicated, operator: Equal, value: shop, effect: NoSchedule}}
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 100
            podAffinityTerm:
              topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels: {{app.kubernetes.io/name: {app}}}
"""


def _service(app: str, namespace: str, index: int, target: int) -> str:
    load_balancer = index % 4 == 0
    extra = ""
    if load_balancer:
        extra = (f"  annotations:\n    metallb.io/address-pool: services\n"
                 f"    metallb.io/loadBalancerIPs: 10.{target % 250}.20.{10 + index}\n")
    return f"""\
apiVersion: v1
kind: Service
metadata:
  name: {app}
  namespace: {namespace}
  labels:
    app.kubernetes.io/name: {app}
{extra}spec:
  type: {"LoadBalancer" if load_balancer else "ClusterIP"}
  selector:
    app.kubernetes.io/name: {app}
  ports:
  - {{name: http, port: 80, targetPort: http, protocol: TCP}}
  - {{name: metrics, port: 9090, targetPort: metrics, protocol: TCP}}
"""


def _config_map(app: str, namespace: str, index: int) -> str:
    settings = "\n".join(f"      feature_{n}: {'true' if (n + index) % 3 else 'false'}" for n in range(12))
    return f"""\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config
  namespace: {namespace}
data:
  config.yaml: |
    server:
      port: 8080
      timeout: 30s
    features:
{settings}
  LOG_FORMAT: json
  CACHE_TTL: "300"
"""


def _service_account(app: str, namespace: str) -> str:
    return f"""\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {app}
  namespace: {namespace}
"""


def _metallb(target: int) -> str:
    net = target % 250
    host_bits = target % 17 == 5  # a few realistic mistakes, so findings are produced too
    lan = f"10.{net}.10.{'7' if host_bits else '0'}/24"
    return f"""\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
  namespace: metallb-system
  labels:
    zone: lan
spec:
  addresses:
  - {lan}
  - 10.{net}.11.10-10.{net}.11.60
  autoAssign: true
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: services
  namespace: metallb-system
  labels:
    zone: dmz
spec:
  addresses:
  - 10.{net}.20.0/26
  - fd00:{net:x}:20::/120
  avoidBuggyIPs: true
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: reserved
  namespace: metallb-system
spec:
  addresses:
  - 10.{net}.30.1-10.{net}.30.{'40' if target % 13 else '1'}
  autoAssign: false
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: lan
  namespace: metallb-system
spec:
  ipAddressPools: [lan, reserved]
  interfaces: [bond0]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: dmz
  namespace: metallb-system
spec:
  ipAddressPoolSelectors:
  - matchLabels:
      zone: dmz
  nodeSelectors:
  - matchExpressions:
    - {{key: node-role.kubernetes.io/edge, operator: Exists}}
"""


_BASE_METALLB = """\
apiVersion: v1
kind: Namespace
metadata:
  name: metallb-system
  labels:
    pod-security.kubernetes.io/enforce: privileged
    pod-security.kubernetes.io/audit: privileged
    pod-security.kubernetes.io/warn: privileged
"""


# MetalLB itself, by a Flux HelmRelease in the shared base, so the scheduling rules have an
# installation to judge against each cluster's nodes.
_BASE_RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: metallb
  namespace: metallb-system
spec:
  interval: 1h
  chart:
    spec:
      chart: metallb
      version: 0.14.9
      sourceRef: {kind: HelmRepository, name: metallb, namespace: metallb-system}
  values:
    speaker:
      ignoreExcludeLB: true
    controller:
      tolerations:
        - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: metallb
  namespace: metallb-system
spec:
  url: https://metallb.github.io/metallb
"""


def _talconfig(target: int) -> str:
    """Each cluster's nodes: three control planes and three workers (talhelper)."""
    net = target % 250
    nodes = "".join(f"""\
  - hostname: c{target:03d}-{role}-{index}
    ipAddress: 10.{net}.0.{10 + index + (0 if role == "cp" else 10)}
    controlPlane: {"true" if role == "cp" else "false"}
""" for role in ("cp", "worker") for index in range(3))
    return f"clusterName: cluster-{target:03d}\nendpoint: https://10.{net}.0.5:6443\nnodes:\n{nodes}"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _kustomization(resources: list[str], namespace: str | None = None) -> str:
    lines = ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization"]
    if namespace:
        lines.append(f"namespace: {namespace}")
    lines.append("resources:")
    lines += [f"- {r}" for r in resources]
    return "\n".join(lines) + "\n"


def generate(root: Path, targets: int) -> None:
    """A repository with `targets` overlays, each including the shared base."""
    # The shared base: MetalLB's namespace and a few platform applications.
    _write(root / "base/metallb/namespace.yaml", _BASE_METALLB)
    _write(root / "base/metallb/release.yaml", _BASE_RELEASE)
    _write(root / "base/metallb/kustomization.yaml", _kustomization(["namespace.yaml", "release.yaml"]))
    platform = []
    for index, app in enumerate(("ingress", "dns", "logging", "monitoring")):
        name = f"platform-{app}"
        docs = [_service_account(name, "platform"), _config_map(name, "platform", index),
                _deployment(name, "platform", index), _service(name, "platform", index, 0)]
        _write(root / f"base/platform/{app}.yaml", "---\n".join(docs))
        platform.append(f"{app}.yaml")
    _write(root / "base/platform/kustomization.yaml", _kustomization(platform))
    _write(root / "base/kustomization.yaml", _kustomization(["metallb", "platform"]))

    for target in range(targets):
        directory = root / f"clusters/cluster-{target:03d}"
        namespace = f"shop-{target % 5}"
        _write(directory / "metallb/pools.yaml", _metallb(target))
        _write(directory / "talos/talconfig.yaml", _talconfig(target))
        _write(directory / "metallb/kustomization.yaml", _kustomization(["pools.yaml"]))
        apps = []
        for index in range(APPS_PER_TARGET):
            app = f"app-{index:02d}"
            docs = [_service_account(app, namespace), _config_map(app, namespace, index + target),
                    _deployment(app, namespace, index + target), _service(app, namespace, index, target)]
            _write(directory / f"apps/{app}.yaml", "---\n".join(docs))
            apps.append(f"{app}.yaml")
        _write(directory / "apps/kustomization.yaml", _kustomization(apps, namespace))
        _write(directory / "kustomization.yaml", _kustomization(["../../base", "metallb", "apps"]))


