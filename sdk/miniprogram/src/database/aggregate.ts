// collection.aggregate() and db.command.aggregate: CloudBase's aggregation
// pipeline. Each stage method adds one stage in MongoDB's form, which is
// CloudBase's wire form ({ $group: { _id: '$category', n: { $sum: 1 } } });
// end() sends them to POST /api/database/{collection}/aggregate, where the
// server runs them under the collection's list rule. The server decides
// what is supported: a stage or operator it cannot run exactly is a
// wxbase_unsupported error naming it.
import type { AggregateCommand, AnyObject, Aggregate, AggregateResult } from "../../types/index";
import { unsupported } from "../errors";
import { settle } from "./callbacks";
import { QueryCmd, UpdateCmd } from "./command";
import { isPlainObject } from "./fields";
import { encodeQuery, isDate, isRegExp } from "./serialize";
import { GeoValue, RegExpValue, ServerDate } from "./values";

/** An aggregation operator, $.sum('$price'): in JSON, { $sum: '$price' }. */
export class AggregateOperator {
    constructor(
        readonly name: string,
        readonly param: unknown,
    ) {}
}

// The operators of db.command.aggregate, as CloudBase's SDK lists them.
// $.neq is MongoDB's $ne, as in CloudBase's SDK.
const operatorNames = (
    "abs add addToSet allElementsTrue and anyElementTrue arrayElemAt arrayToObject avg ceil cmp concat concatArrays " +
    "cond convert dateFromParts dateToParts dateFromString dateToString dayOfMonth dayOfWeek dayOfYear divide eq exp " +
    "filter first floor gt gte hour ifNull in indexOfArray indexOfBytes indexOfCP isArray isoDayOfWeek isoWeek " +
    "isoWeekYear last let literal ln log log10 lt lte ltrim map max mergeObjects meta min millisecond minute mod " +
    "month multiply neq not objectToArray or pow push range reduce reverseArray rtrim second setDifference setEquals " +
    "setIntersection setIsSubset setUnion size slice split sqrt stdDevPop stdDevSamp strcasecmp strLenBytes strLenCP " +
    "substr substrBytes substrCP subtract sum switch toBool toDate toDecimal toDouble toInt toLong toObjectId " +
    "toString toLower toUpper trim trunc type week year zip"
).split(" ");

/** makeAggregateCommand builds db.command.aggregate ($ in CloudBase code). */
export function makeAggregateCommand(): AggregateCommand {
    const command: { [name: string]: unknown } = {
        pipeline: () => new AggregateImpl(),
    };
    for (const name of operatorNames) {
        const operator = name === "neq" ? "ne" : name;
        command[name] = (param: unknown) => new AggregateOperator(operator, param);
    }
    return command as unknown as AggregateCommand;
}

/** encodeExpression turns an aggregation expression (or a stage's object) into its JSON form. */
export function encodeExpression(value: any, where: string): any {
    if (value instanceof AggregateOperator) {
        return { ["$" + value.name]: encodeExpression(value.param, where) };
    }
    if (isDate(value)) {
        if (isNaN(value.getTime())) {
            throw unsupported(`${where}: an invalid Date.`);
        }
        return { $date: value.getTime() };
    }
    if (value instanceof GeoValue) {
        return value.toJSON();
    }
    if (value instanceof AggregateImpl) {
        return value.done();
    }
    if (value instanceof ServerDate) {
        throw unsupported(`${where}: db.serverDate() is not supported in a pipeline; pass a Date (new Date()).`);
    }
    if (value instanceof RegExpValue || isRegExp(value)) {
        throw unsupported(`${where}: a regular expression is a condition of match(), not a value of an expression.`);
    }
    if (value instanceof QueryCmd || value instanceof UpdateCmd) {
        throw unsupported(`${where}: _.${value.operator}() is a query operator; in an expression use db.command.aggregate's ($.${value.operator}()).`);
    }
    if (Array.isArray(value)) {
        return value.map((item) => (item === undefined ? null : encodeExpression(item, where)));
    }
    if (isPlainObject(value)) {
        const out: AnyObject = {};
        for (const key of Object.keys(value)) {
            if (value[key] !== undefined) {
                out[key] = encodeExpression(value[key], where);
            }
        }
        return out;
    }
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
        throw unsupported(`${where}: a ${typeof value} is not a value.`);
    }
    if (typeof value === "number" && !isFinite(value)) {
        throw unsupported(`${where}: ${value} is not a value JSON can carry.`);
    }
    return value;
}

/** What end() sends with: the collection, and how to reach the server (which answers decoded values). */
export interface AggregateTarget {
    collection: string;
    send(pipeline: AnyObject[]): Promise<{ list: any[] }>;
}

/**
 * The pipeline builder: collection.aggregate() (with a target, end() runs
 * it) and $.pipeline() (for lookup({ pipeline }), done() gives its stages).
 */
export class AggregateImpl implements Aggregate {
    private readonly stages: AnyObject[] = [];

    constructor(private readonly target?: AggregateTarget) {}

    private stage(name: string, value: unknown): this {
        this.stages.push({ ["$" + name]: value });
        return this;
    }

    addFields(fields: AnyObject): this {
        return this.stage("addFields", encodeExpression(fields, "addFields()"));
    }
    bucket(spec: AnyObject): this {
        return this.stage("bucket", encodeExpression(spec, "bucket()"));
    }
    bucketAuto(spec: AnyObject): this {
        return this.stage("bucketAuto", encodeExpression(spec, "bucketAuto()"));
    }
    count(field: string): this {
        return this.stage("count", field);
    }
    geoNear(options: AnyObject): this {
        const spec: AnyObject = encodeExpression(Object.assign({}, options, { query: undefined }), "geoNear()");
        if (options && options.query !== undefined) {
            spec.query = encodeQuery(options.query);
        }
        return this.stage("geoNear", spec);
    }
    group(spec: AnyObject): this {
        return this.stage("group", encodeExpression(spec, "group()"));
    }
    limit(n: number): this {
        return this.stage("limit", n);
    }
    lookup(options: AnyObject): this {
        return this.stage("lookup", encodeExpression(options, "lookup()"));
    }
    match(condition: AnyObject): this {
        return this.stage("match", encodeQuery(condition));
    }
    project(spec: AnyObject): this {
        return this.stage("project", encodeExpression(spec, "project()"));
    }
    replaceRoot(spec: AnyObject): this {
        return this.stage("replaceRoot", encodeExpression(spec, "replaceRoot()"));
    }
    sample(spec: { size: number }): this {
        return this.stage("sample", encodeExpression(spec, "sample()"));
    }
    skip(n: number): this {
        return this.stage("skip", n);
    }
    /** sort({ a: -1, b: 1 }): the first key is the most significant, as written. */
    sort(spec: AnyObject): this {
        return this.stage("sort", encodeExpression(spec, "sort()"));
    }
    sortByCount(expression: unknown): this {
        return this.stage("sortByCount", encodeExpression(expression, "sortByCount()"));
    }
    unwind(spec: string | AnyObject): this {
        return this.stage("unwind", encodeExpression(spec, "unwind()"));
    }

    /** The stages, for lookup({ pipeline: $.pipeline().match(...).done() }). */
    done(): AnyObject[] {
        return this.stages.slice();
    }

    /**
     * Runs the pipeline: { list, errMsg: "collection.aggregate:ok" }; with
     * success, fail or complete in options it answers through them and
     * returns undefined, as CloudBase's end() does.
     */
    end(options?: AnyObject): Promise<AggregateResult> {
        return settle("collection.aggregate", options, async () => {
            if (!this.target) {
                throw unsupported("end() runs a collection's pipeline: db.collection(name).aggregate()...end(); $.pipeline() is for lookup({ pipeline }), with done().");
            }
            const res = await this.target.send(this.stages);
            return { list: res.list, errMsg: "collection.aggregate:ok" };
        }) as Promise<AggregateResult>;
    }
}
