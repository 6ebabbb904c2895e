package check

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// cluster is a built overlay, every object decoded into its API type.
type cluster struct {
	overlay     string
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	secrets     map[string]*corev1.Secret
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	pdbs        []*policyv1.PodDisruptionBudget
	policies    []*networkingv1.NetworkPolicy
	namespaces  []*corev1.Namespace
}

var overlays = []string{"dev", "prod"}

// build runs kustomize on deploy/k8s/<dir> in process and decodes each
// object strictly: an unknown or misspelt field fails.
func build(t *testing.T, dir string) *cluster {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if c, ok := built[dir]; ok {
		return c
	}
	c := buildUncached(t, dir)
	if !t.Failed() {
		built[dir] = c
	}
	return c
}

var (
	buildMu sync.Mutex
	built   = map[string]*cluster{}
)

func buildUncached(t *testing.T, dir string) *cluster {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), path("deploy", "k8s", dir))
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	c := &cluster{overlay: dir, deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
	for _, r := range m.Resources() {
		b, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		kind, name := r.GetKind(), r.GetName()
		var obj any
		switch kind {
		case "Deployment":
			o := &appsv1.Deployment{}
			c.deployments[name], obj = o, o
		case "Service":
			o := &corev1.Service{}
			c.services[name], obj = o, o
		case "ConfigMap":
			o := &corev1.ConfigMap{}
			c.configMaps[name], obj = o, o
		case "Secret":
			o := &corev1.Secret{}
			c.secrets[name], obj = o, o
		case "HorizontalPodAutoscaler":
			o := &autoscalingv2.HorizontalPodAutoscaler{}
			c.hpas, obj = append(c.hpas, o), o
		case "PodDisruptionBudget":
			o := &policyv1.PodDisruptionBudget{}
			c.pdbs, obj = append(c.pdbs, o), o
		case "NetworkPolicy":
			o := &networkingv1.NetworkPolicy{}
			c.policies, obj = append(c.policies, o), o
		case "Namespace":
			o := &corev1.Namespace{}
			c.namespaces, obj = append(c.namespaces, o), o
		default:
			t.Errorf("%s: %s %s: no API type to check it against; add one to build()", dir, kind, name)
			continue
		}
		if err := yaml.UnmarshalStrict(b, obj); err != nil {
			t.Errorf("%s: %s %s does not match the API: %v", dir, kind, name, err)
		}
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			t.Errorf("%s: %s name %q: %s", dir, kind, name, msg)
		}
	}
	return c
}

func TestKustomizeBuilds(t *testing.T) {
	build(t, "base")
	for _, o := range overlays {
		c := build(t, "overlays/"+o)
		if len(c.namespaces) != 1 {
			t.Errorf("%s: %d Namespaces, want 1", o, len(c.namespaces))
		} else if c.namespaces[0].Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Errorf("%s: namespace does not enforce the restricted Pod Security Standard", o)
		}
	}
}

func TestKustomizeWorkloads(t *testing.T) {
	for _, o := range overlays {
		c := build(t, "overlays/"+o)
		bins := binaries(t)
		if got := sortedKeys(c.deployments); !slices.Equal(got, sorted(bins)) {
			t.Errorf("%s: Deployments %v, want %v", o, got, sorted(bins))
		}
		ports := map[string]int{"router": routerPort}
		for _, s := range subgraphs(t) {
			ports[s.Name] = s.Port
		}
		for name, d := range c.deployments {
			checkDeployment(t, c, name, d, ports[name])
		}
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

func checkDeployment(t *testing.T, c *cluster, name string, d *appsv1.Deployment, port int) {
	where := c.overlay + ": Deployment " + name
	sel, err := metav1Selector(d)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("%s: selector does not match its pod template (%v)", where, err)
	}
	ps := d.Spec.Template.Spec
	if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot ||
		ps.SecurityContext.SeccompProfile == nil || ps.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod must run as non-root with the RuntimeDefault seccomp profile", where)
	}
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		t.Errorf("%s: mounts a service account token it does not use", where)
	}
	if len(ps.Containers) != 1 || len(ps.InitContainers) > 0 {
		t.Fatalf("%s: want exactly one container", where)
	}
	ctr := ps.Containers[0]
	if want := []string{"/app/" + name}; !slices.Equal(ctr.Command, want) {
		t.Errorf("%s: command %q, want %q", where, ctr.Command, want)
	}
	if !strings.Contains(ctr.Image, "/supergraph:") || strings.HasSuffix(ctr.Image, ":latest") {
		t.Errorf("%s: image %q: want the supergraph image with a pinned tag", where, ctr.Image)
	}
	if len(ctr.Ports) != 1 || ctr.Ports[0].ContainerPort != int32(port) || ctr.Ports[0].Name != "http" {
		t.Errorf("%s: ports %+v, want http %d", where, ctr.Ports, port)
	}
	probe := func(kind string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s: no HTTP %s probe", where, kind)
			return
		}
		if p.HTTPGet.Path != path || p.HTTPGet.Port != intstr.FromString("http") {
			t.Errorf("%s: %s probe GET %s on %s, want %s on http", where, kind, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
		}
	}
	ready := "/ready"
	if name == "router" {
		ready = "/health" // the router has no /ready
	}
	probe("readiness", ctr.ReadinessProbe, ready)
	probe("liveness", ctr.LivenessProbe, "/health")
	req, lim := ctr.Resources.Requests, ctr.Resources.Limits
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		q, ok := req[r]
		l, ok2 := lim[r]
		if !ok || !ok2 {
			t.Errorf("%s: needs a %s request and limit", where, r)
		} else if q.Cmp(l) > 0 {
			t.Errorf("%s: %s request %s above limit %s", where, r, q.String(), l.String())
		}
	}
	sc := ctr.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: container must be runAsNonRoot, read-only root, no privilege escalation, capabilities dropped", where)
	}
	checkContainerEnv(t, c, name, ctr)
	for _, v := range ps.Volumes {
		if v.ConfigMap != nil {
			if _, ok := c.configMaps[v.ConfigMap.Name]; !ok {
				t.Errorf("%s: volume %s: no ConfigMap %s", where, v.Name, v.ConfigMap.Name)
			}
		}
	}
	// The Service in front of it.
	svc, ok := c.services[name]
	if !ok {
		t.Errorf("%s: no Service", where)
		return
	}
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) || len(svc.Spec.Selector) == 0 {
		t.Errorf("%s: Service selector %v does not select its pods", where, svc.Spec.Selector)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != int32(port) || svc.Spec.Ports[0].TargetPort != intstr.FromString("http") {
		t.Errorf("%s: Service ports %+v, want %d to http", where, svc.Spec.Ports, port)
	}
	if headless := svc.Spec.ClusterIP == corev1.ClusterIPNone; headless != (name != "router") {
		t.Errorf("%s: Service clusterIP %q: subgraphs are headless, the router is not", where, svc.Spec.ClusterIP)
	}
	// A PodDisruptionBudget that covers it.
	covered := false
	for _, pdb := range c.pdbs {
		s, err := selector(pdb.Spec.Selector)
		if err == nil && s.Matches(labels.Set(d.Spec.Template.Labels)) {
			covered = true
			if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
				t.Errorf("%s: PodDisruptionBudget %s sets no budget", where, pdb.Name)
			}
		}
	}
	if !covered {
		t.Errorf("%s: no PodDisruptionBudget", where)
	}
	// Replicas: the router's belong to its autoscaler.
	if name == "router" {
		if d.Spec.Replicas != nil {
			t.Errorf("%s: sets replicas; the HorizontalPodAutoscaler owns them", where)
		}
	} else if d.Spec.Replicas == nil || (c.overlay == "overlays/prod" && *d.Spec.Replicas < 2) {
		t.Errorf("%s: replicas %v; prod needs at least 2", where, d.Spec.Replicas)
	}
}

func metav1Selector(d *appsv1.Deployment) (labels.Selector, error) { return selector(d.Spec.Selector) }

// checkContainerEnv: the variables the binary reads are all set (from the
// ConfigMaps, the Secret or literal values), and every value set is read.
func checkContainerEnv(t *testing.T, c *cluster, bin string, ctr corev1.Container) {
	where := c.overlay + ": " + bin
	set := map[string]string{} // name -> where from
	for _, ef := range ctr.EnvFrom {
		if ef.ConfigMapRef == nil {
			t.Errorf("%s: envFrom must name a ConfigMap", where)
			continue
		}
		cm, ok := c.configMaps[ef.ConfigMapRef.Name]
		if !ok {
			t.Errorf("%s: envFrom ConfigMap %s does not exist", where, ef.ConfigMapRef.Name)
			continue
		}
		for k := range cm.Data {
			set[k] = "configmap"
		}
	}
	defined := map[string]bool{}
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	expanded := map[string]bool{}
	for _, e := range ctr.Env {
		for _, m := range ref.FindAllStringSubmatch(e.Value, -1) {
			if !defined[m[1]] {
				t.Errorf("%s: %s refers to $(%s), not defined before it", where, e.Name, m[1])
			}
			expanded[m[1]] = true
		}
		defined[e.Name] = true
		set[e.Name] = "env"
		if e.ValueFrom != nil {
			sk := e.ValueFrom.SecretKeyRef
			if sk == nil {
				t.Errorf("%s: %s: only secretKeyRef is expected in valueFrom", where, e.Name)
				continue
			}
			if sk.Name != "myshop-secrets" {
				t.Errorf("%s: %s comes from Secret %s, want myshop-secrets", where, e.Name, sk.Name)
			}
			if s, ok := c.secrets[sk.Name]; ok {
				if _, ok := s.StringData[sk.Key]; !ok {
					if _, ok := s.Data[sk.Key]; !ok && (sk.Optional == nil || !*sk.Optional) {
						t.Errorf("%s: %s: Secret %s has no key %s", where, e.Name, sk.Name, sk.Key)
					}
				}
			}
		}
	}
	reads := scanEnv(t, bin)
	for _, v := range sortedKeys(reads) {
		if _, ok := set[v]; !ok && !mayBeUnset(bin, v) {
			t.Errorf("%s reads %s; the container does not set it", where, v)
		}
	}
	for _, e := range ctr.Env {
		if !reads[e.Name] && !expanded[e.Name] {
			t.Errorf("%s: env %s is not read by the binary", where, e.Name)
		}
	}
	// Every ConfigMap key is read by some binary (catches typos).
	all := map[string]bool{}
	for _, b := range binaries(t) {
		for v := range scanEnv(t, b) {
			all[v] = true
		}
	}
	for _, ef := range ctr.EnvFrom {
		if cm := c.configMaps[ef.ConfigMapRef.Name]; cm != nil {
			for k := range cm.Data {
				if !all[k] {
					t.Errorf("%s: ConfigMap %s sets %s, which no binary reads", where, cm.Name, k)
				}
			}
		}
	}
}

func TestKustomizeAutoscalerAndSecrets(t *testing.T) {
	for _, o := range overlays {
		c := build(t, "overlays/"+o)
		if len(c.hpas) != 1 {
			t.Fatalf("%s: %d HorizontalPodAutoscalers, want 1 (the router's)", o, len(c.hpas))
		}
		h := c.hpas[0].Spec
		if h.ScaleTargetRef.Kind != "Deployment" || h.ScaleTargetRef.Name != "router" || h.ScaleTargetRef.APIVersion != "apps/v1" {
			t.Errorf("%s: HPA targets %+v, want the router Deployment", o, h.ScaleTargetRef)
		}
		if h.MinReplicas == nil || *h.MinReplicas < 1 || h.MaxReplicas < *h.MinReplicas || len(h.Metrics) == 0 {
			t.Errorf("%s: HPA bounds or metrics are wrong: %+v", o, h)
		}
		if o == "prod" {
			if *h.MinReplicas < 2 {
				t.Errorf("prod: the router must keep at least 2 replicas")
			}
			if len(c.secrets) != 0 {
				t.Errorf("prod: carries Secrets %v; they come from the cluster's secret store", sortedKeys(c.secrets))
			}
			cfg := configByPrefix(t, c, "myshop-config")
			for k, want := range map[string]string{"INTROSPECTION_DISABLED": "true", "ROUTER_PLAYGROUND_DISABLED": "true", "SEED_DEMO_DATA": "0"} {
				if cfg.Data[k] != want {
					t.Errorf("prod: %s=%q, want %q", k, cfg.Data[k], want)
				}
			}
		} else if _, ok := c.secrets["myshop-secrets"]; !ok {
			t.Errorf("%s: no example Secret myshop-secrets", o)
		}
	}
}

// configByPrefix finds a generated ConfigMap (its name has a hash suffix).
func configByPrefix(t *testing.T, c *cluster, prefix string) *corev1.ConfigMap {
	for name, cm := range c.configMaps {
		if strings.HasPrefix(name, prefix+"-") {
			return cm
		}
	}
	t.Fatalf("%s: no ConfigMap %s-<hash>", c.overlay, prefix)
	return nil
}

func TestKustomizeConfig(t *testing.T) {
	sg, err := os.ReadFile(path("schema", "supergraph.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	copyOf, err := os.ReadFile(path("deploy", "k8s", "base", "supergraph.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sg, copyOf) {
		t.Error("deploy/k8s/base/supergraph.graphql is stale: cp schema/supergraph.graphql deploy/k8s/base/")
	}
	for _, o := range overlays {
		c := build(t, "overlays/"+o)
		cfg := configByPrefix(t, c, "myshop-config").Data
		if cm := configByPrefix(t, c, "myshop-supergraph"); cm.Data["supergraph.graphql"] != string(sg) {
			t.Errorf("%s: the supergraph ConfigMap is not schema/supergraph.graphql", o)
		}
		router := c.deployments["router"].Spec.Template.Spec
		mounted := false
		for _, m := range router.Containers[0].VolumeMounts {
			if strings.HasPrefix(cfg["ROUTER_SUPERGRAPH"], m.MountPath+"/") && m.SubPath == "" {
				mounted = true // no subPath: a changed ConfigMap reaches the file
			}
		}
		if !mounted {
			t.Errorf("%s: ROUTER_SUPERGRAPH %s is not in a mounted volume", o, cfg["ROUTER_SUPERGRAPH"])
		}
		jwks := "http://users:4001/.well-known/jwks.json"
		want := map[string]string{"ROUTER_JWKS_URL": jwks, "USERS_JWKS_URL": jwks, "ROUTER_LISTEN_ADDR": "0.0.0.0:4000",
			"ORDERS_PRODUCTS_URL": "http://products:4002/graphql", "ORDERS_INVENTORY_URL": "http://inventory:4005/graphql",
			"ORDERS_PAYMENTS_URL": "http://payments:4004/graphql", "ORDERS_TOKEN_URL": "http://users:4001/oauth/token"}
		for _, s := range subgraphs(t) {
			N := strings.ToUpper(s.Name)
			want["ROUTER_SUBGRAPH_"+N+"_URL"] = fmt.Sprintf("http://%s:%d/graphql", s.Name, s.Port)
			want[N+"_LISTEN_ADDR"] = fmt.Sprintf("0.0.0.0:%d", s.Port)
		}
		for k, v := range want {
			if cfg[k] != v {
				t.Errorf("%s: %s=%q, want %q", o, k, cfg[k], v)
			}
		}
		users := c.deployments["users"].Spec.Template.Spec.Containers[0]
		ok := false
		for _, e := range users.Env {
			if e.Name == "USERS_SERVICE_CLIENTS" && e.Value == cfg["ORDERS_CLIENT_ID"]+"=$(ORDERS_CLIENT_SECRET)" {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: users' USERS_SERVICE_CLIENTS is not %s=$(ORDERS_CLIENT_SECRET)", o, cfg["ORDERS_CLIENT_ID"])
		}
	}
}
