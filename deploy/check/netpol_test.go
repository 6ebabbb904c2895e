package check

import (
	"fmt"
	networkingv1 "k8s.io/api/networking/v1"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func selector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return labels.Nothing(), nil
	}
	return metav1.LabelSelectorAsSelector(s)
}

// callers is who may open a connection to each subgraph: the router, and
// the subgraphs that call it (orders' upstreams; everyone fetches users'
// token keys).
func callers(t *testing.T) map[string][]string {
	all := []string{"router"}
	for _, s := range subgraphs(t) {
		all = append(all, s.Name)
	}
	out := map[string][]string{
		"users":     all,
		"products":  {"router", "orders"},
		"inventory": {"router", "orders"},
		"payments":  {"router", "orders"},
	}
	for _, s := range subgraphs(t) {
		if out[s.Name] == nil {
			out[s.Name] = []string{"router"}
		}
	}
	return out
}

// TestNetworkPolicy evaluates the policies of each overlay for every pair
// of workloads, as a NetworkPolicy-enforcing CNI would (same namespace,
// podSelector peers): subgraphs accept exactly their callers, the router
// accepts anyone on its port, and a default deny covers the rest.
func TestNetworkPolicy(t *testing.T) {
	for _, o := range overlays {
		c := build(t, "overlays/"+o)
		denyAll := false
		for _, p := range c.policies {
			if len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 &&
				len(p.Spec.Ingress) == 0 && slices.Contains(p.Spec.PolicyTypes, "Ingress") {
				denyAll = true
			}
		}
		if !denyAll {
			t.Errorf("%s: no default-deny ingress NetworkPolicy", o)
		}
		podLabels := map[string]labels.Set{}
		for name, d := range c.deployments {
			podLabels[name] = labels.Set(d.Spec.Template.Labels)
		}
		port := map[string]int{"router": routerPort}
		for _, s := range subgraphs(t) {
			port[s.Name] = s.Port
		}
		allowed := func(from, to string) (any, fromOutside bool) {
			for _, p := range c.policies {
				sel, err := selector(&p.Spec.PodSelector)
				if err != nil {
					t.Fatal(err)
				}
				if !sel.Matches(podLabels[to]) {
					continue
				}
				for _, rule := range p.Spec.Ingress {
					if !portAllowed(rule.Ports, port[to]) {
						continue
					}
					if len(rule.From) == 0 {
						return true, true
					}
					for _, peer := range rule.From {
						if peer.IPBlock != nil || peer.NamespaceSelector != nil {
							fromOutside = true
							continue
						}
						s, err := selector(peer.PodSelector)
						if err != nil {
							t.Fatal(err)
						}
						if from != "" && s.Matches(podLabels[from]) {
							any = true
						}
					}
				}
			}
			return any, fromOutside
		}
		want := callers(t)
		for to := range c.deployments {
			_, outside := allowed("", to)
			if to == "router" {
				if !outside {
					t.Errorf("%s: the router accepts no outside traffic on %d", o, routerPort)
				}
				continue
			}
			if outside {
				t.Errorf("%s: %s accepts traffic from outside the namespace", o, to)
			}
			for from := range c.deployments {
				got, _ := allowed(from, to)
				if exp := slices.Contains(want[to], from); got != exp {
					t.Errorf("%s: %s -> %s allowed=%v, want %v", o, from, to, got, exp)
				}
			}
		}
	}
}

func portAllowed(ports []networkingPort, p int) bool {
	if len(ports) == 0 {
		return true
	}
	for _, np := range ports {
		if np.Port == nil || *np.Port == intstr.FromInt32(int32(p)) || np.Port.String() == fmt.Sprint(p) {
			if np.Protocol == nil || *np.Protocol == corev1.ProtocolTCP {
				return true
			}
		}
	}
	return false
}

type networkingPort = networkingv1.NetworkPolicyPort
