import { unsupported } from "../errors";

/** db.serverDate({ offset }): the server's clock at write time, plus offset milliseconds. */
export class ServerDate {
    constructor(readonly offset: number) {}
}

/** db.RegExp({ regexp, options }): a regular expression the server runs. */
export class RegExpValue {
    constructor(
        readonly regexp: string,
        readonly options: string,
    ) {}
}

/** A db.Geo value, stored as GeoJSON in a JSON field. */
export abstract class GeoValue {
    abstract toJSON(): { type: string; coordinates: any[] };
}

function coordinate(lon: any, lat: any): number[] {
    if (typeof lon !== "number" || typeof lat !== "number" || !isFinite(lon) || !isFinite(lat)) {
        throw unsupported("db.Geo.Point(longitude, latitude) takes two numbers.");
    }
    if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
        throw unsupported("db.Geo.Point(longitude, latitude): longitude is -180..180 and latitude -90..90.");
    }
    return [lon, lat];
}

function each<T>(list: any, name: string, of: string, ok: (v: any) => v is T): T[] {
    if (!Array.isArray(list) || !list.every(ok)) {
        throw unsupported(`db.Geo.${name}() takes an array of db.Geo.${of} values.`);
    }
    return list.slice();
}

/** db.Geo.Point, as CloudBase's: longitude, latitude, and GeoJSON. */
export class GeoPoint extends GeoValue {
    readonly longitude: number;
    readonly latitude: number;

    constructor(longitude: number, latitude: number) {
        super();
        [this.longitude, this.latitude] = coordinate(longitude, latitude);
    }

    toJSON() {
        return { type: "Point", coordinates: [this.longitude, this.latitude] };
    }
}

export class GeoLineString extends GeoValue {
    readonly points: GeoPoint[];

    constructor(points: GeoPoint[]) {
        super();
        this.points = each(points, "LineString", "Point", (p): p is GeoPoint => p instanceof GeoPoint);
    }

    toJSON() {
        return { type: "LineString", coordinates: this.points.map((p) => p.toJSON().coordinates) };
    }
}

export class GeoPolygon extends GeoValue {
    readonly lines: GeoLineString[];

    constructor(lines: GeoLineString[]) {
        super();
        this.lines = each(lines, "Polygon", "LineString", (l): l is GeoLineString => l instanceof GeoLineString);
    }

    toJSON() {
        return { type: "Polygon", coordinates: this.lines.map((l) => l.toJSON().coordinates) };
    }
}

export class GeoMultiPoint extends GeoValue {
    readonly points: GeoPoint[];

    constructor(points: GeoPoint[]) {
        super();
        this.points = each(points, "MultiPoint", "Point", (p): p is GeoPoint => p instanceof GeoPoint);
    }

    toJSON() {
        return { type: "MultiPoint", coordinates: this.points.map((p) => p.toJSON().coordinates) };
    }
}

export class GeoMultiLineString extends GeoValue {
    readonly lines: GeoLineString[];

    constructor(lines: GeoLineString[]) {
        super();
        this.lines = each(lines, "MultiLineString", "LineString", (l): l is GeoLineString => l instanceof GeoLineString);
    }

    toJSON() {
        return { type: "MultiLineString", coordinates: this.lines.map((l) => l.toJSON().coordinates) };
    }
}

export class GeoMultiPolygon extends GeoValue {
    readonly polygons: GeoPolygon[];

    constructor(polygons: GeoPolygon[]) {
        super();
        this.polygons = each(polygons, "MultiPolygon", "Polygon", (p): p is GeoPolygon => p instanceof GeoPolygon);
    }

    toJSON() {
        return { type: "MultiPolygon", coordinates: this.polygons.map((p) => p.toJSON().coordinates) };
    }
}

/**
 * callable makes a class usable as CloudBase code uses db.Geo: with new
 * (new db.Geo.Point(lon, lat)) and without (db.Geo.Point(lon, lat)), and
 * keeps instanceof db.Geo.Point true.
 */
function callable<A extends any[], T>(Class: new (...args: A) => T): (...args: A) => T {
    const make = function (...args: A): T {
        return new Class(...args);
    };
    make.prototype = Class.prototype;
    return make;
}

/** makeGeo builds db.Geo. */
export function makeGeo() {
    return {
        Point: callable(GeoPoint),
        LineString: callable(GeoLineString),
        Polygon: callable(GeoPolygon),
        MultiPoint: callable(GeoMultiPoint),
        MultiLineString: callable(GeoMultiLineString),
        MultiPolygon: callable(GeoMultiPolygon),
    };
}

const point = (c: any) => new GeoPoint(c[0], c[1]);
const line = (c: any) => new GeoLineString(c.map(point));
const polygon = (c: any) => new GeoPolygon(c.map(line));
const geoReaders: { [type: string]: (coordinates: any) => GeoValue } = {
    Point: point,
    LineString: line,
    Polygon: polygon,
    MultiPoint: (c) => new GeoMultiPoint(c.map(point)),
    MultiLineString: (c) => new GeoMultiLineString(c.map(line)),
    MultiPolygon: (c) => new GeoMultiPolygon(c.map(polygon)),
};

/**
 * readGeo turns GeoJSON read from the server back into a db.Geo value, as
 * CloudBase does for its results; null when the object is not GeoJSON
 * (or not valid GeoJSON, which stays a plain object).
 */
export function readGeo(value: { [key: string]: any }): GeoValue | null {
    const keys = Object.keys(value);
    if (keys.length !== 2 || typeof value.type !== "string" || !Array.isArray(value.coordinates) || !geoReaders[value.type]) {
        return null;
    }
    try {
        return geoReaders[value.type](value.coordinates);
    } catch (err) {
        return null;
    }
}

/** db.serverDate(). */
export function serverDate(options?: { offset?: number }): ServerDate {
    const offset = options && options.offset !== undefined ? options.offset : 0;
    if (typeof offset !== "number" || !isFinite(offset)) {
        throw unsupported("db.serverDate({ offset }) takes a number of milliseconds.");
    }
    return new ServerDate(offset);
}

/** db.RegExp(). */
export function regExp(options: { regexp: string; options?: string }): RegExpValue {
    if (!options || typeof options.regexp !== "string") {
        throw unsupported("db.RegExp({ regexp, options }) takes the pattern as a string.");
    }
    return new RegExpValue(options.regexp, options.options || "");
}
