package main

// property_collector.go fills three gaps of govmomi 0.24's PropertyCollector (issue 4):
//   - paging: RetrievePropertiesEx ignores options.maxObjects and never returns a token, and
//     ContinueRetrievePropertiesEx / CancelRetrievePropertiesEx are missing;
//   - traversal specs are applied to objects of any type, so the usual recursive folder and
//     resource-pool traversal (as oslo.vmware and Cinder build it) loops until the simulator dies;
//     here a TraversalSpec applies only to objects of its own type (or a subtype), as on vCenter;
//   - keyed property paths (`config.extraConfig["cinder.volume.id"]`, `config.hardware.device[2000]`)
//     are refused as InvalidProperty; here they select one element of the array by its key.
// The simulator's own collector still reads the properties; this layer selects the objects, rewrites
// keyed paths and pages the result. WaitForUpdatesEx and filters are untouched.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// pagingCollector embeds the simulator's collector by value: the simulator makes a zero copy of the
// singleton's type for each session, so the zero value must work.
type pagingCollector struct {
	simulator.PropertyCollector

	pagesMu sync.Mutex
	pages   map[string]*pendingPages
}

type pendingPages struct {
	objects []types.ObjectContent
	size    int
}

func init() {
	beforeServe = append(beforeServe, func(m *simulator.Model) error {
		ref := simulator.Map.Get(m.ServiceContent.PropertyCollector)
		pc, ok := ref.(*simulator.PropertyCollector)
		if !ok {
			return fmt.Errorf("property collector: unexpected singleton %T", ref)
		}
		wrapped := &pagingCollector{}
		wrapped.Self = pc.Self
		simulator.Map.Put(wrapped)
		return nil
	})
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "vmkit-" + hex.EncodeToString(b)
}

// keyedPath is `base[key]` or `base["key"]`, optionally followed by `.rest`.
type keyedPath struct {
	full, base, key, rest string
}

func parseKeyedPath(p string) (keyedPath, bool) {
	open := strings.IndexByte(p, '[')
	if open <= 0 {
		return keyedPath{}, false
	}
	close := strings.IndexByte(p[open:], ']')
	if close < 0 {
		return keyedPath{}, false
	}
	close += open
	key := p[open+1 : close]
	if unq, err := strconv.Unquote(key); err == nil {
		key = unq
	}
	rest := strings.TrimPrefix(p[close+1:], ".")
	return keyedPath{full: p, base: p[:open], key: key, rest: rest}, true
}

// moValue digs out the mo struct of a registry object (wrapper types embed it as their first field).
func moValue(obj mo.Reference) reflect.Value {
	rval := reflect.ValueOf(obj).Elem()
	for path.Base(rval.Type().PkgPath()) != "mo" {
		if rval.Kind() != reflect.Struct || rval.NumField() == 0 {
			return reflect.Value{}
		}
		rval = rval.Field(0)
	}
	return rval
}

// isKind reports whether a mo struct type is `kind` or embeds it (ClusterComputeResource is a
// ComputeResource and a ManagedEntity).
func isKind(t reflect.Type, kind string) bool {
	if t.Name() == kind {
		return true
	}
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Anonymous && f.Type.Kind() == reflect.Struct && isKind(f.Type, kind) {
			return true
		}
	}
	return false
}

// walk follows a dotted property path through structs, pointers and interfaces.
func walk(v reflect.Value, p string) reflect.Value {
	for _, name := range strings.Split(p, ".") {
		for v.IsValid() && (v.Kind() == reflect.Ptr || v.Kind() == reflect.Interface) {
			if v.IsNil() {
				return reflect.Value{}
			}
			v = v.Elem()
		}
		if !v.IsValid() || v.Kind() != reflect.Struct || name == "" {
			return reflect.Value{}
		}
		v = v.FieldByName(strings.ToUpper(name[:1]) + name[1:])
	}
	return v
}

func refsOf(v reflect.Value) []types.ManagedObjectReference {
	if !v.IsValid() {
		return nil
	}
	switch x := v.Interface().(type) {
	case types.ManagedObjectReference:
		return []types.ManagedObjectReference{x}
	case *types.ManagedObjectReference:
		if x != nil {
			return []types.ManagedObjectReference{*x}
		}
	case []types.ManagedObjectReference:
		return x
	}
	return nil
}

type selection struct {
	ctx     *simulator.Context
	specs   map[string]*types.TraversalSpec
	refs    []types.ManagedObjectReference
	seen    map[types.ManagedObjectReference]bool
	visited map[string]bool
}

func (s *selection) lookup(ref types.ManagedObjectReference) mo.Reference {
	if s.ctx.Session != nil {
		return s.ctx.Session.Get(ref)
	}
	return simulator.Map.Get(ref)
}

func (s *selection) add(ref types.ManagedObjectReference) {
	if !s.seen[ref] {
		s.seen[ref] = true
		s.refs = append(s.refs, ref)
	}
}

func (s *selection) traverse(ref types.ManagedObjectReference, set []types.BaseSelectionSpec) types.BaseMethodFault {
	for _, ss := range set {
		if ss == nil {
			// A selectSet entry without xsi:type (or with one the decoder does not know).
			return &types.InvalidArgument{InvalidProperty: "selectSet"}
		}
		if ts, ok := ss.(*types.TraversalSpec); ok && ts.Name != "" {
			s.specs[ts.Name] = ts
		}
	}
	obj := s.lookup(ref)
	if obj == nil {
		return nil
	}
	val := moValue(obj)
	if !val.IsValid() {
		return nil
	}
	for _, ss := range set {
		ts, ok := ss.(*types.TraversalSpec)
		if !ok {
			ts = s.specs[ss.GetSelectionSpec().Name]
			if ts == nil {
				return &types.InvalidArgument{InvalidProperty: "undefined TraversalSpec name"}
			}
		}
		// The gap: a traversal spec applies only to objects of its own type.
		if ts.Type != ref.Type && !isKind(val.Type(), ts.Type) {
			continue
		}
		key := fmt.Sprintf("%p|%s", ts, ref.String())
		if s.visited[key] {
			continue
		}
		s.visited[key] = true
		for _, next := range refsOf(walk(val, ts.Path)) {
			if ts.Skip == nil || !*ts.Skip {
				s.add(next)
			}
			if err := s.traverse(next, ts.SelectSet); err != nil {
				return err
			}
		}
	}
	return nil
}

// collectAll selects the objects of the request, reads them through the simulator's collector with
// keyed paths rewritten, and returns every object.
func (pc *pagingCollector) collectAll(ctx *simulator.Context, r *types.RetrievePropertiesEx) ([]types.ObjectContent, *soap.Fault) {
	sel := &selection{ctx: ctx, specs: map[string]*types.TraversalSpec{}, seen: map[types.ManagedObjectReference]bool{}, visited: map[string]bool{}}
	var propSet []types.PropertySpec
	keyed := map[string][]keyedPath{} // by base path
	for _, spec := range r.SpecSet {
		for _, o := range spec.ObjectSet {
			if sel.lookup(o.Obj) == nil {
				if spec.ReportMissingObjectsInResults == nil || !*spec.ReportMissingObjectsInResults {
					return nil, simulator.Fault("The object has already been deleted or has not been completely created", &types.ManagedObjectNotFound{Obj: o.Obj})
				}
				continue
			}
			if o.SelectSet == nil || o.Skip == nil || !*o.Skip {
				sel.add(o.Obj)
			}
			if err := sel.traverse(o.Obj, o.SelectSet); err != nil {
				return nil, simulator.Fault("", err)
			}
		}
		for _, p := range spec.PropSet {
			q := p
			q.PathSet = nil
			for _, name := range p.PathSet {
				if k, ok := parseKeyedPath(name); ok {
					keyed[k.base] = append(keyed[k.base], k)
					name = k.base
				}
				q.PathSet = append(q.PathSet, name)
			}
			propSet = append(propSet, q)
		}
	}
	if len(sel.refs) == 0 {
		return nil, nil
	}
	objectSet := make([]types.ObjectSpec, len(sel.refs))
	for i, ref := range sel.refs {
		objectSet[i] = types.ObjectSpec{Obj: ref, Skip: types.NewBool(false)}
	}
	req := &types.RetrievePropertiesEx{This: r.This, SpecSet: []types.PropertyFilterSpec{{
		PropSet: propSet, ObjectSet: objectSet, ReportMissingObjectsInResults: types.NewBool(true),
	}}}
	res := pc.PropertyCollector.RetrievePropertiesEx(ctx, req)
	if f := res.Fault(); f != nil {
		return nil, f
	}
	body := res.(*methods.RetrievePropertiesExBody)
	if body.Res.Returnval == nil {
		return nil, nil
	}
	objects := body.Res.Returnval.Objects
	if len(keyed) > 0 {
		requested := map[string]bool{}
		for _, p := range r.SpecSet {
			for _, ps := range p.PropSet {
				for _, n := range ps.PathSet {
					requested[n] = true
				}
			}
		}
		for i := range objects {
			objects[i] = applyKeyed(objects[i], keyed, requested)
		}
	}
	return objects, nil
}

// applyKeyed replaces the base properties fetched for keyed paths by the selected elements.
func applyKeyed(o types.ObjectContent, keyed map[string][]keyedPath, requested map[string]bool) types.ObjectContent {
	var props []types.DynamicProperty
	for _, p := range o.PropSet {
		ks, isBase := keyed[p.Name]
		if !isBase {
			props = append(props, p)
			continue
		}
		if requested[p.Name] {
			props = append(props, p)
		}
		for _, k := range ks {
			if v, ok := selectByKey(p.Val, k.key); ok {
				if k.rest != "" {
					w := walk(reflect.ValueOf(v), k.rest)
					if !w.IsValid() || ((w.Kind() == reflect.Ptr || w.Kind() == reflect.Interface) && w.IsNil()) {
						continue
					}
					v = w.Interface()
				}
				props = append(props, types.DynamicProperty{Name: k.full, Val: v})
			}
		}
	}
	var missing []types.MissingProperty
	for _, m := range o.MissingSet {
		if ks, isBase := keyed[m.Path]; isBase {
			for _, k := range ks {
				mm := m
				mm.Path = k.full
				missing = append(missing, mm)
			}
			if !requested[m.Path] {
				continue
			}
		}
		missing = append(missing, m)
	}
	o.PropSet, o.MissingSet = props, missing
	return o
}

// selectByKey finds, in an ArrayOfX value, the element whose `key` field equals key.
func selectByKey(val interface{}, key string) (interface{}, bool) {
	v := reflect.ValueOf(val)
	for v.IsValid() && (v.Kind() == reflect.Ptr || v.Kind() == reflect.Interface) {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct && v.NumField() == 1 {
		v = v.Field(0) // ArrayOfOptionValue{OptionValue: [...]}
	}
	if v.Kind() != reflect.Slice {
		return nil, false
	}
	for i := 0; i < v.Len(); i++ {
		e := v.Index(i)
		k := walk(e, "key")
		if !k.IsValid() {
			continue
		}
		if fmt.Sprint(k.Interface()) == key {
			return e.Interface(), true
		}
	}
	return nil, false
}

func (pc *pagingCollector) page(objects []types.ObjectContent, size int) *types.RetrieveResult {
	if size <= 0 || len(objects) <= size {
		if len(objects) == 0 {
			return nil
		}
		return &types.RetrieveResult{Objects: objects}
	}
	token := newToken()
	pc.pagesMu.Lock()
	if pc.pages == nil {
		pc.pages = map[string]*pendingPages{}
	}
	pc.pages[token] = &pendingPages{objects: objects[size:], size: size}
	pc.pagesMu.Unlock()
	return &types.RetrieveResult{Objects: objects[:size], Token: token}
}

// RetrievePropertiesEx selects with type-aware traversal, reads keyed paths and pages by maxObjects.
func (pc *pagingCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	body := &methods.RetrievePropertiesExBody{}
	objects, fault := pc.collectAll(ctx, r)
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	body.Res = &types.RetrievePropertiesExResponse{Returnval: pc.page(objects, int(r.Options.MaxObjects))}
	return body
}

// RetrieveProperties is the deprecated form: every object, no paging.
func (pc *pagingCollector) RetrieveProperties(ctx *simulator.Context, r *types.RetrieveProperties) soap.HasFault {
	body := &methods.RetrievePropertiesBody{}
	objects, fault := pc.collectAll(ctx, &types.RetrievePropertiesEx{This: r.This, SpecSet: r.SpecSet})
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	body.Res = &types.RetrievePropertiesResponse{Returnval: objects}
	return body
}

// ContinueRetrievePropertiesEx returns the next page of a token; the last page carries no token.
func (pc *pagingCollector) ContinueRetrievePropertiesEx(ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	body := &methods.ContinueRetrievePropertiesExBody{}
	pc.pagesMu.Lock()
	p := pc.pages[r.Token]
	delete(pc.pages, r.Token)
	pc.pagesMu.Unlock()
	if p == nil {
		body.Fault_ = simulator.Fault("unknown or finished token", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	res := pc.page(p.objects, p.size)
	if res == nil {
		res = &types.RetrieveResult{}
	}
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: *res}
	return body
}

// CancelRetrievePropertiesEx drops the rest of a token's result.
func (pc *pagingCollector) CancelRetrievePropertiesEx(ctx *simulator.Context, r *types.CancelRetrievePropertiesEx) soap.HasFault {
	body := &methods.CancelRetrievePropertiesExBody{}
	pc.pagesMu.Lock()
	_, ok := pc.pages[r.Token]
	delete(pc.pages, r.Token)
	pc.pagesMu.Unlock()
	if !ok {
		body.Fault_ = simulator.Fault("unknown or finished token", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	body.Res = &types.CancelRetrievePropertiesExResponse{}
	return body
}

// CreatePropertyCollector makes collectors of this type, so that they page too.
func (pc *pagingCollector) CreatePropertyCollector(ctx *simulator.Context, c *types.CreatePropertyCollector) soap.HasFault {
	cpc := &pagingCollector{}
	return &methods.CreatePropertyCollectorBody{Res: &types.CreatePropertyCollectorResponse{Returnval: ctx.Session.Put(cpc).Reference()}}
}
