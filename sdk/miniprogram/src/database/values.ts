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

/** A db.Geo value, stored as GeoJSON. */
export class GeoValue {
    constructor(private readonly json: { type: string; coordinates: any[] }) {}

    toJSON(): { type: string; coordinates: any[] } {
        return this.json;
    }
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

function points(list: any, name: string): number[][] {
    if (!Array.isArray(list)) {
        throw unsupported(`db.Geo.${name}() takes an array.`);
    }
    return list.map((p) => {
        const json = p instanceof GeoValue ? p.toJSON() : p;
        if (!json || json.type !== "Point") {
            throw unsupported(`db.Geo.${name}() takes db.Geo.Point values.`);
        }
        return json.coordinates;
    });
}

function lines(list: any, name: string): number[][][] {
    if (!Array.isArray(list)) {
        throw unsupported(`db.Geo.${name}() takes an array.`);
    }
    return list.map((l) => {
        const json = l instanceof GeoValue ? l.toJSON() : l;
        if (!json || json.type !== "LineString") {
            throw unsupported(`db.Geo.${name}() takes db.Geo.LineString values.`);
        }
        return json.coordinates;
    });
}

/** makeGeo builds db.Geo: constructors whose values are stored as GeoJSON. */
export function makeGeo() {
    return {
        Point: (longitude: number, latitude: number) => new GeoValue({ type: "Point", coordinates: coordinate(longitude, latitude) }),
        LineString: (list: any[]) => new GeoValue({ type: "LineString", coordinates: points(list, "LineString") }),
        Polygon: (list: any[]) => new GeoValue({ type: "Polygon", coordinates: lines(list, "Polygon") }),
        MultiPoint: (list: any[]) => new GeoValue({ type: "MultiPoint", coordinates: points(list, "MultiPoint") }),
        MultiLineString: (list: any[]) => new GeoValue({ type: "MultiLineString", coordinates: lines(list, "MultiLineString") }),
        MultiPolygon: (list: any[]) =>
            new GeoValue({
                type: "MultiPolygon",
                coordinates: (Array.isArray(list) ? list : []).map((p) => {
                    const json = p instanceof GeoValue ? p.toJSON() : p;
                    if (!json || json.type !== "Polygon") {
                        throw unsupported("db.Geo.MultiPolygon() takes db.Geo.Polygon values.");
                    }
                    return json.coordinates;
                }),
            }),
    };
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
