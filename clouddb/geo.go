package clouddb

import (
	"fmt"
	"math"
	"strings"
)

// EarthRadius is the radius MongoDB uses to turn angles on the sphere into
// metres for GeoJSON queries (kRadiusOfEarthInMeters).
const EarthRadius = 6378100.0

// cellBand is how close to the edge of a region a point may lie before
// MongoDB's answer can no longer be told without its S2 cell geometry:
// MongoDB counts a point as within a polygon or a $centerSphere cap when
// the region meets the point's S2 leaf cell, whose farthest corner can be
// about 1.5 cm from the point. Points outside a region but nearer its edge
// than this make MatchErr report an error rather than guess.
const cellBand = 0.02

// onBoundary is the distance, in metres, under which a point counts as lying
// on a region's edge, which MongoDB counts as inside; it only absorbs the
// rounding of the computation.
const onBoundary = 1e-6

// Distance returns the great-circle distance in metres between two points
// given in degrees, on MongoDB's sphere (EarthRadius). It uses the
// haversine formula, which is accurate for small distances and is exactly 0
// for identical points.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	return angle(lon1, lat1, lon2, lat2) * EarthRadius
}

// angle is the haversine central angle in radians.
func angle(lon1, lat1, lon2, lat2 float64) float64 {
	const rad = math.Pi / 180
	sdLat := math.Sin((lat2 - lat1) * rad / 2)
	sdLon := math.Sin((lon2 - lon1) * rad / 2)
	h := sdLat*sdLat + math.Cos(lat1*rad)*math.Cos(lat2*rad)*sdLon*sdLon
	return 2 * math.Asin(math.Min(1, math.Sqrt(h)))
}

// ValidLonLat reports whether a longitude and latitude in degrees are a
// point MongoDB accepts: longitude in [-180, 180], latitude in [-90, 90].
func ValidLonLat(lon, lat float64) bool {
	return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90
}

// Near is a $near or $nearSphere clause: a GeoJSON point and a range of
// distances in metres. The server sorts the matching documents by
// Near.Distance, nearest first.
type Near struct {
	Path        string
	Lon, Lat    float64
	MinDistance float64 // 0 when not given
	MaxDistance float64 // +Inf when not given
}

// Distance returns the distance in metres from the clause's point to the
// nearest GeoJSON point stored at the clause's path in doc (an array of
// points counts by its nearest), and false when there is none.
func (n *Near) Distance(doc map[string]any) (float64, bool) {
	d, ok, _ := n.distance(doc)
	return d, ok
}

func (n *Near) distance(doc any) (float64, bool, error) {
	best, found := math.Inf(1), false
	var failure error
	walk(doc, strings.Split(n.Path, "."), true, func(v any) bool {
		lon, lat, ok, err := storedPoint(v)
		if err != nil {
			failure = fmt.Errorf("%s: %w", n.Path, err)
			return true
		}
		if ok {
			found = true
			best = math.Min(best, Distance(n.Lon, n.Lat, lon, lat))
		}
		return false
	})
	return best, found, failure
}

// nearExpr matches documents whose nearest point lies within the range.
type nearExpr struct{ n *Near }

func (e nearExpr) match(doc any, c *matchCtx) bool {
	d, ok, err := e.n.distance(doc)
	if err != nil {
		c.fail(err)
		return false
	}
	return ok && d >= e.n.MinDistance && d <= e.n.MaxDistance
}

func (e nearExpr) test(any, *matchCtx) bool { return false } // never in a value $elemMatch

// compileNear builds {path: {$nearSphere: {$geometry: point, $maxDistance,
// $minDistance}}}, the form CloudBase's geoNear sends; the distances may
// also stand beside $nearSphere. $near with a GeoJSON point means the same.
func (f *Filter) compileNear(path string, parts []string, op string, ops map[string]any, top bool) ([]expr, error) {
	if !top {
		return nil, fmt.Errorf("%s: %s must be at the top level of the query, not inside $or, $nor, $not or $elemMatch", path, op)
	}
	if f.near != nil {
		return nil, fmt.Errorf("%s: a query may hold only one $near or $nearSphere", path)
	}
	for k := range ops {
		if k != op && k != "$maxDistance" && k != "$minDistance" {
			return nil, fmt.Errorf("%s: %s cannot be combined with %s on the same field; use $and", path, k, op)
		}
	}
	spec, ok := ops[op].(map[string]any)
	if !ok {
		return nil, unsupportedf("%s: %s needs {$geometry: <GeoJSON point>}; legacy coordinate pairs are not supported", path, op)
	}
	n := &Near{Path: path, MaxDistance: math.Inf(1)}
	g, ok := spec["$geometry"]
	if !ok {
		return nil, unsupportedf("%s: %s needs $geometry; legacy coordinate pairs are not supported", path, op)
	}
	typ, coords, err := geoJSON(g)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, op, err)
	}
	if typ != "Point" {
		return nil, fmt.Errorf("%s: %s needs a GeoJSON Point, not a %s", path, op, typ)
	}
	if n.Lon, n.Lat, err = position(coords); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", path, op, err)
	}
	for _, name := range []string{"$maxDistance", "$minDistance"} {
		inside, hasIn := spec[name]
		outside, hasOut := ops[name]
		if hasIn && hasOut {
			return nil, fmt.Errorf("%s: %s given twice", path, name)
		}
		if !hasIn && !hasOut {
			continue
		}
		v := inside
		if hasOut {
			v = outside
		}
		d, ok := v.(float64)
		if !ok || math.IsNaN(d) || d < 0 {
			return nil, fmt.Errorf("%s: %s must be a non-negative number of metres", path, name)
		}
		if name == "$maxDistance" {
			n.MaxDistance = d
		} else {
			n.MinDistance = d
		}
	}
	for k := range spec {
		if k != "$geometry" && k != "$maxDistance" && k != "$minDistance" {
			return nil, fmt.Errorf("%s: unknown field %s in %s", path, k, op)
		}
	}
	f.near = n
	f.mayFail = true
	return []expr{nearExpr{n}}, nil
}

// region is a compiled $geoWithin or $geoIntersects operand; locate
// reports whether a point lies in it, or an error when MongoDB's answer
// cannot be known exactly.
type region interface {
	locate(p vec3) (bool, error)
}

func compileGeo(path string, parts []string, op string, v any) (expr, error) {
	spec, ok := v.(map[string]any)
	if !ok || len(spec) != 1 {
		return nil, fmt.Errorf("%s needs one of $geometry or $centerSphere", op)
	}
	var r region
	var err error
	switch {
	case spec["$geometry"] != nil:
		r, err = compileGeometry(op, spec["$geometry"])
	case spec["$centerSphere"] != nil && op == "$geoWithin":
		r, err = compileCenterSphere(spec["$centerSphere"])
	default:
		for k := range spec {
			switch k {
			case "$centerSphere":
				return nil, fmt.Errorf("$geoIntersects does not take $centerSphere; use $geoWithin")
			case "$box", "$center", "$polygon":
				return nil, unsupportedf("%s with %s (flat legacy shapes) is not supported; use $geometry", op, k)
			}
			return nil, fmt.Errorf("unknown %s shape %s", op, k)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &pathExpr{parts: parts, leaf: true, p: func(v any, c *matchCtx) bool {
		lon, lat, ok, err := storedPoint(v)
		if err != nil {
			c.fail(fmt.Errorf("%s: %s: %w", strings.Join(parts, "."), op, err))
			return false
		}
		if !ok {
			return false
		}
		in, err := r.locate(toVec(lon, lat))
		if err != nil {
			c.fail(fmt.Errorf("%s: %s: %w", strings.Join(parts, "."), op, err))
			return false
		}
		return in
	}}, nil
}

func compileGeometry(op string, g any) (region, error) {
	if m, ok := g.(map[string]any); ok {
		if _, ok := m["crs"]; ok {
			return nil, unsupportedf("GeoJSON crs (big polygons) is not supported")
		}
	}
	typ, coords, err := geoJSON(g)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "Polygon":
		return parsePolygon(coords)
	case "MultiPolygon":
		list, ok := coords.([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("MultiPolygon coordinates must be a nonempty array of polygons")
		}
		var multi multiRegion
		for _, pc := range list {
			p, err := parsePolygon(pc)
			if err != nil {
				return nil, err
			}
			multi = append(multi, p)
		}
		return multi, nil
	case "Point", "MultiPoint":
		if op == "$geoWithin" {
			return nil, fmt.Errorf("$geoWithin needs a Polygon or MultiPolygon, not a %s", typ)
		}
		list := []any{coords}
		if typ == "MultiPoint" {
			list, _ = coords.([]any)
			if len(list) == 0 {
				return nil, fmt.Errorf("MultiPoint coordinates must be a nonempty array of positions")
			}
		}
		var multi multiRegion
		for _, pc := range list {
			lon, lat, err := position(pc)
			if err != nil {
				return nil, err
			}
			multi = append(multi, pointRegion(toVec(lon, lat)))
		}
		return multi, nil
	}
	return nil, unsupportedf("%s with a %s is not supported; use a Point, MultiPoint, Polygon or MultiPolygon", op, typ)
}

// geoJSON reads the type and coordinates of a GeoJSON geometry.
func geoJSON(g any) (string, any, error) {
	m, ok := g.(map[string]any)
	if !ok {
		return "", nil, fmt.Errorf("$geometry must be a GeoJSON object")
	}
	typ, ok := m["type"].(string)
	if !ok {
		return "", nil, fmt.Errorf("GeoJSON needs a type")
	}
	coords, ok := m["coordinates"]
	if !ok {
		return "", nil, fmt.Errorf("GeoJSON %s needs coordinates", typ)
	}
	return typ, coords, nil
}

// position reads a GeoJSON position [longitude, latitude].
func position(v any) (lon, lat float64, err error) {
	a, ok := v.([]any)
	if !ok || len(a) != 2 {
		return 0, 0, fmt.Errorf("a position must be [longitude, latitude]")
	}
	lon, ok1 := a[0].(float64)
	lat, ok2 := a[1].(float64)
	if !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("a position must hold two numbers")
	}
	if !ValidLonLat(lon, lat) {
		return 0, 0, fmt.Errorf("longitude/latitude out of bounds: [%v, %v]; longitude must be in [-180, 180] and latitude in [-90, 90]", lon, lat)
	}
	return lon, lat, nil
}

var geoJSONTypes = map[string]bool{
	"LineString": true, "Polygon": true, "MultiPoint": true,
	"MultiLineString": true, "MultiPolygon": true, "GeometryCollection": true,
}

// storedPoint reads a stored value as a GeoJSON point (db.Geo.Point). A
// value that is not a point does not match (ok false). A stored GeoJSON
// geometry other than a point, or what MongoDB would read as a legacy
// coordinate pair ([x, y] or an object of two numbers), is an error: MongoDB
// would test it as a shape, which this package does not do.
func storedPoint(v any) (lon, lat float64, ok bool, err error) {
	switch t := v.(type) {
	case map[string]any:
		typ, _ := t["type"].(string)
		if typ == "Point" {
			lon, lat, perr := position(t["coordinates"])
			return lon, lat, perr == nil, nil
		}
		if geoJSONTypes[typ] {
			return 0, 0, false, unsupportedf("stored GeoJSON %s values are not supported; only Points are", typ)
		}
		numbers := 0
		for _, x := range t {
			if _, isNum := x.(float64); isNum {
				numbers++
			}
		}
		if typ == "" && len(t) >= 2 && numbers >= 2 {
			return 0, 0, false, unsupportedf("a stored object of numbers may be a legacy coordinate pair, which is not supported; store GeoJSON points (db.Geo.Point)")
		}
	case []any:
		if len(t) >= 2 {
			_, n0 := t[0].(float64)
			_, n1 := t[1].(float64)
			if n0 && n1 {
				return 0, 0, false, unsupportedf("a stored array of numbers is a legacy coordinate pair, which is not supported; store GeoJSON points (db.Geo.Point)")
			}
		}
	}
	return 0, 0, false, nil
}

// vec3 is a point on the unit sphere.
type vec3 [3]float64

func toVec(lon, lat float64) vec3 {
	const rad = math.Pi / 180
	cl := math.Cos(lat * rad)
	return vec3{cl * math.Cos(lon*rad), cl * math.Sin(lon*rad), math.Sin(lat * rad)}
}

func dot(a, b vec3) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func cross(a, b vec3) vec3 {
	return vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func norm(a vec3) float64 { return math.Sqrt(dot(a, a)) }

func scale(a vec3, k float64) vec3 { return vec3{a[0] * k, a[1] * k, a[2] * k} }

func sub(a, b vec3) vec3 { return vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

// angleBetween is the angle between two unit vectors, accurate at all
// scales.
func angleBetween(a, b vec3) float64 {
	return math.Atan2(norm(cross(a, b)), dot(a, b))
}

// pointRegion is a point of a $geoIntersects geometry. MongoDB says two
// points intersect when they fall in the same S2 leaf cell (about 1 cm);
// identical points do, points farther apart than two cells do not, and
// points in between are refused.
type pointRegion vec3

func (r pointRegion) locate(p vec3) (bool, error) {
	d := angleBetween(vec3(r), p) * EarthRadius
	switch {
	case d <= onBoundary:
		return true, nil
	case d < 2*cellBand:
		return false, fmt.Errorf("the stored point lies %.3g m from the query point, too close to tell MongoDB's answer (same S2 cell or not); compare coordinates instead", d)
	}
	return false, nil
}

type multiRegion []region

func (m multiRegion) locate(p vec3) (bool, error) {
	var failure error
	for _, r := range m {
		in, err := r.locate(p)
		if in {
			return true, nil
		}
		if err != nil && failure == nil {
			failure = err
		}
	}
	return false, failure
}

// capRegion is {$centerSphere: [[lon, lat], radians]}.
type capRegion struct {
	center vec3
	radius float64 // radians
}

func compileCenterSphere(v any) (region, error) {
	a, ok := v.([]any)
	if !ok || len(a) != 2 {
		return nil, fmt.Errorf("$centerSphere needs [[longitude, latitude], radius in radians]")
	}
	lon, lat, err := position(a[0])
	if err != nil {
		return nil, err
	}
	r, ok := a[1].(float64)
	if !ok || math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return nil, fmt.Errorf("$centerSphere radius must be a non-negative number of radians")
	}
	return capRegion{toVec(lon, lat), r}, nil
}

func (c capRegion) locate(p vec3) (bool, error) {
	d := angleBetween(c.center, p)
	switch {
	case d <= c.radius:
		return true, nil
	case (d-c.radius)*EarthRadius < cellBand:
		return false, fmt.Errorf("the stored point lies %.3g m outside the $centerSphere edge, too close to tell MongoDB's answer (it counts the point's S2 cell)", (d-c.radius)*EarthRadius)
	}
	return false, nil
}

// sphPolygon is a GeoJSON polygon on the sphere: edges are great-circle
// arcs and each ring bounds the smaller of the two regions it divides the
// sphere into, as in MongoDB. Containment is decided in the gnomonic
// projection centred on the outer ring, which maps great-circle arcs to
// straight segments; a polygon that does not fit in the hemisphere around
// its centre is refused.
type sphPolygon struct {
	c, e1, e2 vec3
	rings     [][]vec3    // vertices, first not repeated at the end
	flat      [][]point2d // the same, projected
}

type point2d struct{ x, y float64 }

func parsePolygon(v any) (*sphPolygon, error) {
	ringsIn, ok := v.([]any)
	if !ok || len(ringsIn) == 0 {
		return nil, fmt.Errorf("Polygon coordinates must be a nonempty array of rings")
	}
	p := &sphPolygon{}
	for i, r := range ringsIn {
		ring, err := parseRing(r)
		if err != nil {
			return nil, fmt.Errorf("ring %d: %w", i, err)
		}
		p.rings = append(p.rings, ring)
	}
	var sum vec3
	for _, q := range p.rings[0] {
		sum = vec3{sum[0] + q[0], sum[1] + q[1], sum[2] + q[2]}
	}
	if norm(sum) < 1e-9 {
		return nil, unsupportedf("polygons as large as a hemisphere are not supported")
	}
	p.c = scale(sum, 1/norm(sum))
	// A tangent basis at the centre.
	axis := vec3{1, 0, 0}
	if math.Abs(p.c[0]) > 0.9 {
		axis = vec3{0, 1, 0}
	}
	p.e1 = cross(p.c, axis)
	p.e1 = scale(p.e1, 1/norm(p.e1))
	p.e2 = cross(p.c, p.e1)
	for _, ring := range p.rings {
		var flat []point2d
		for _, q := range ring {
			d := dot(q, p.c)
			if d < 1e-6 {
				return nil, unsupportedf("polygons that do not fit in a hemisphere are not supported")
			}
			flat = append(flat, point2d{dot(q, p.e1) / d, dot(q, p.e2) / d})
		}
		p.flat = append(p.flat, flat)
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// parseRing reads a closed ring of at least four positions and drops
// repeated consecutive vertices, as MongoDB does.
func parseRing(v any) ([]vec3, error) {
	list, ok := v.([]any)
	if !ok || len(list) < 4 {
		return nil, fmt.Errorf("a ring must have at least 4 positions")
	}
	var lonlat [][2]float64
	for _, pos := range list {
		lon, lat, err := position(pos)
		if err != nil {
			return nil, err
		}
		lonlat = append(lonlat, [2]float64{lon, lat})
	}
	if lonlat[0] != lonlat[len(lonlat)-1] {
		return nil, fmt.Errorf("a ring must be closed: its first and last positions must be the same")
	}
	var ring []vec3
	for i, ll := range lonlat[:len(lonlat)-1] {
		if i > 0 && ll == lonlat[i-1] {
			continue
		}
		ring = append(ring, toVec(ll[0], ll[1]))
	}
	if len(ring) > 1 && ring[len(ring)-1] == ring[0] {
		ring = ring[:len(ring)-1]
	}
	if len(ring) < 3 {
		return nil, fmt.Errorf("a ring must have at least 3 different vertices")
	}
	return ring, nil
}

// validate refuses what MongoDB refuses: rings with repeated vertices or
// crossing edges, and holes that are not inside the outer ring or that
// cross each other.
func (p *sphPolygon) validate() error {
	for ri, ring := range p.flat {
		seen := map[point2d]bool{}
		for _, q := range ring {
			if seen[q] {
				return fmt.Errorf("ring %d has a repeated vertex", ri)
			}
			seen[q] = true
		}
	}
	type edge struct {
		a, b     point2d
		ring, at int
	}
	var edges []edge
	for ri, ring := range p.flat {
		for i := range ring {
			edges = append(edges, edge{ring[i], ring[(i+1)%len(ring)], ri, i})
		}
	}
	for i := 0; i < len(edges); i++ {
		for j := i + 1; j < len(edges); j++ {
			e, f := edges[i], edges[j]
			if e.ring == f.ring {
				n := len(p.flat[e.ring])
				if (e.at+1)%n == f.at || (f.at+1)%n == e.at {
					continue // neighbours share a vertex
				}
			}
			if segmentsMeet(e.a, e.b, f.a, f.b) {
				return fmt.Errorf("edges of the polygon cross or touch (rings %d and %d)", e.ring, f.ring)
			}
		}
	}
	for hi := 1; hi < len(p.flat); hi++ {
		for _, q := range p.flat[hi] {
			if !inRing(p.flat[0], q) {
				return fmt.Errorf("ring %d is not inside the outer ring; inner rings must be holes", hi)
			}
		}
		for hj := 1; hj < len(p.flat); hj++ {
			if hj != hi && inRing(p.flat[hj], p.flat[hi][0]) {
				return fmt.Errorf("holes %d and %d overlap", hi, hj)
			}
		}
	}
	return nil
}

func (p *sphPolygon) locate(q vec3) (bool, error) {
	if d := dot(q, p.c); d > 0 {
		pt := point2d{dot(q, p.e1) / d, dot(q, p.e2) / d}
		in := inRing(p.flat[0], pt)
		for _, hole := range p.flat[1:] {
			if in && inRing(hole, pt) {
				in = false
			}
		}
		if in {
			return true, nil
		}
	}
	d := p.boundaryDistance(q)
	switch {
	case d <= onBoundary:
		return true, nil // on the boundary, which MongoDB counts as inside
	case d < cellBand:
		return false, fmt.Errorf("the stored point lies %.3g m from the polygon's edge, too close to tell MongoDB's answer (it counts the point's S2 cell)", d)
	}
	return false, nil
}

// boundaryDistance is the distance in metres from q to the nearest edge.
func (p *sphPolygon) boundaryDistance(q vec3) float64 {
	best := math.Inf(1)
	for _, ring := range p.rings {
		for i := range ring {
			best = math.Min(best, arcDistance(q, ring[i], ring[(i+1)%len(ring)]))
		}
	}
	return best * EarthRadius
}

// arcDistance is the angle from q to the great-circle arc from a to b.
func arcDistance(q, a, b vec3) float64 {
	n := cross(a, b)
	if nn := norm(n); nn > 0 {
		n = scale(n, 1/nn)
		// The foot of the perpendicular from q to the great circle.
		foot := sub(q, scale(n, dot(q, n)))
		if fn := norm(foot); fn > 0 {
			foot = scale(foot, 1/fn)
			if dot(cross(a, foot), n) >= 0 && dot(cross(foot, b), n) >= 0 {
				return angleBetween(q, foot)
			}
		}
	}
	return math.Min(angleBetween(q, a), angleBetween(q, b))
}

// inRing is the even-odd rule in the plane; points on an edge may fall
// either way, which locate settles by distance.
func inRing(ring []point2d, q point2d) bool {
	in := false
	for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
		a, b := ring[i], ring[j]
		if (a.y > q.y) != (b.y > q.y) {
			x := a.x + (q.y-a.y)*(b.x-a.x)/(b.y-a.y)
			if q.x < x {
				in = !in
			}
		}
	}
	return in
}

// segmentsMeet reports whether two segments cross or touch.
func segmentsMeet(a, b, c, d point2d) bool {
	o := func(p, q, r point2d) float64 { return (q.x-p.x)*(r.y-p.y) - (q.y-p.y)*(r.x-p.x) }
	on := func(p, q, r point2d) bool {
		return math.Min(p.x, q.x) <= r.x && r.x <= math.Max(p.x, q.x) && math.Min(p.y, q.y) <= r.y && r.y <= math.Max(p.y, q.y)
	}
	d1, d2, d3, d4 := o(c, d, a), o(c, d, b), o(a, b, c), o(a, b, d)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return d1 == 0 && on(c, d, a) || d2 == 0 && on(c, d, b) || d3 == 0 && on(a, b, c) || d4 == 0 && on(a, b, d)
}
