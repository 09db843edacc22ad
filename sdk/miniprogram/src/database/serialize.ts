import type { AnyObject, WhereCondition } from "../../types/index";
import { unsupported } from "../errors";
import { encodeExpression } from "./aggregate";
import { QueryCmd, UpdateCmd } from "./command";
import { isPlainObject } from "./fields";
import { GeoValue, RegExpValue, ServerDate, readGeo } from "./values";

// The server takes queries and updates in MongoDB's form, which is
// CloudBase's own wire form: _.gt(5) is { $gt: 5 }, a nested object in
// where() is a dot path, a Date is { $date: <ms> }, db.serverDate() is
// { $serverDate: { offset } }, a regular expression is { $regex, $options },
// a db.Geo value is GeoJSON.

const comparison: { [op: string]: string } = { eq: "$eq", neq: "$ne", gt: "$gt", gte: "$gte", lt: "$lt", lte: "$lte" };

/** encodeValue turns a value CloudBase code writes into its JSON form. */
export function encodeValue(value: any, where: string): any {
    if (isDate(value)) {
        if (isNaN(value.getTime())) {
            throw unsupported(`${where}: an invalid Date.`);
        }
        return { $date: value.getTime() };
    }
    if (value instanceof ServerDate) {
        return { $serverDate: { offset: value.offset } };
    }
    if (value instanceof GeoValue) {
        return value.toJSON();
    }
    if (value instanceof RegExpValue || isRegExp(value)) {
        throw unsupported(`${where}: a regular expression is a condition, not a value to store.`);
    }
    if (value instanceof QueryCmd || value instanceof UpdateCmd) {
        throw unsupported(`${where}: _.${value.operator}() cannot be used here.`);
    }
    if (Array.isArray(value)) {
        return value.map((item) => (item === undefined ? null : encodeValue(item, where)));
    }
    if (isPlainObject(value)) {
        const out: AnyObject = {};
        for (const key of Object.keys(value)) {
            if (value[key] !== undefined) {
                out[key] = encodeValue(value[key], where);
            }
        }
        return out;
    }
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
        throw unsupported(`${where}: a ${typeof value} cannot be stored.`);
    }
    if (typeof value === "number" && !isFinite(value)) {
        throw unsupported(`${where}: ${value} cannot be stored.`);
    }
    return value;
}

/** decodeValue turns the server's JSON back into what CloudBase code reads: { $date } is a Date, GeoJSON a db.Geo value, { $numberDouble } a number. */
export function decodeValue(value: any): any {
    if (Array.isArray(value)) {
        return value.map(decodeValue);
    }
    if (value !== null && typeof value === "object") {
        const keys = Object.keys(value);
        if (keys.length === 1 && keys[0] === "$date") {
            return new Date(typeof value.$date === "string" ? Date.parse(value.$date) : value.$date);
        }
        if (keys.length === 1 && keys[0] === "$numberDouble") {
            // An infinity or NaN (a sum past the largest number), which JSON cannot hold.
            return Number(value.$numberDouble);
        }
        const geo = readGeo(value);
        if (geo) {
            return geo;
        }
        const out: AnyObject = {};
        for (const key of keys) {
            out[key] = decodeValue(value[key]);
        }
        return out;
    }
    return value;
}

// By their tag, not instanceof: a value may come from another realm (a
// plugin, a web-view bridge), where Date and RegExp are other functions.
export function isRegExp(value: any): value is RegExp {
    return Object.prototype.toString.call(value) === "[object RegExp]";
}

export function isDate(value: any): value is Date {
    return Object.prototype.toString.call(value) === "[object Date]";
}

function regexCondition(value: RegExp | RegExpValue): AnyObject {
    if (value instanceof RegExpValue) {
        return { $regex: value.regexp, $options: value.options };
    }
    // A literal's flags: i, m and s mean what they mean to the server; g
    // and y do not apply to a match, u and d are refused there.
    return { $regex: value.source, $options: value.flags.replace(/[gy]/g, "") };
}

/** encodeQuery turns a where() condition into the server's query document. */
export function encodeQuery(condition: WhereCondition | QueryCmd): AnyObject {
    const out: AnyObject[] = [];
    if (condition instanceof QueryCmd) {
        out.push(logicAtTop(condition));
    } else {
        objectConditions(condition, "", out);
    }
    return merge(out);
}

/** merge joins conditions on distinct keys into one document, others with $and. */
function merge(parts: AnyObject[]): AnyObject {
    const doc: AnyObject = {};
    const rest: AnyObject[] = [];
    for (const part of parts) {
        const key = Object.keys(part)[0];
        if (key === "$and") {
            rest.push(...part.$and);
        } else if (key in doc) {
            rest.push(part);
        } else {
            doc[key] = part[key];
        }
    }
    if (rest.length) {
        doc.$and = (doc.$and || []).concat(rest);
    }
    return doc;
}

function logicAtTop(cmd: QueryCmd): AnyObject {
    if (cmd.operator === "expr") {
        // _.expr($.gt(['$a', '$b'])): an aggregation expression as a
        // condition, which match() takes (and where() refuses).
        return { $expr: encodeExpression(cmd.operands[0], "_.expr()") };
    }
    if (cmd.operator !== "and" && cmd.operator !== "or" && cmd.operator !== "nor") {
        throw unsupported(`where(): _.${cmd.operator}() needs a field: where({ field: _.${cmd.operator}(...) }).`);
    }
    if (!cmd.operands.length) {
        throw unsupported(`where(): _.${cmd.operator}() needs at least one condition.`);
    }
    return {
        ["$" + cmd.operator]: cmd.operands.map((operand) => {
            if (operand instanceof QueryCmd) {
                return logicAtTop(operand);
            }
            if (!isPlainObject(operand)) {
                throw unsupported(`where(): _.${cmd.operator}() at the top level takes conditions such as { field: value }.`);
            }
            return encodeQuery(operand);
        }),
    };
}

/** objectConditions flattens a condition object into one condition per dot path, as CloudBase does. */
function objectConditions(condition: AnyObject, prefix: string, out: AnyObject[]): void {
    for (const key of Object.keys(condition)) {
        const value = condition[key];
        if (value === undefined) {
            continue;
        }
        const path = prefix + key;
        if (isPlainObject(value) && Object.keys(value).length > 0) {
            objectConditions(value, path + ".", out);
            continue;
        }
        out.push(fieldCondition(path, value));
    }
}

/** fieldCondition is { path: condition } for one value or operator. */
function fieldCondition(path: string, value: any): AnyObject {
    if (value instanceof QueryCmd) {
        switch (value.operator) {
            case "expr":
                throw unsupported(`where(): _.expr() is a whole condition, not one of "${path}": match(_.expr(...)).`);
            case "and":
            case "or":
            case "nor":
                if (!value.operands.length) {
                    throw unsupported(`where(): _.${value.operator}() needs at least one condition.`);
                }
                return {
                    ["$" + value.operator]: value.operands.map((operand) =>
                        operand instanceof QueryCmd || !isPlainObject(operand) ? fieldCondition(path, operand) : encodeQuery(prefixed(path, operand)),
                    ),
                };
        }
        return { [path]: operatorDoc(value, path) };
    }
    if (value instanceof RegExpValue || isRegExp(value)) {
        return { [path]: regexCondition(value) };
    }
    return { [path]: encodeValue(value, "where()") };
}

function prefixed(path: string, operand: any): AnyObject {
    if (!isPlainObject(operand)) {
        throw unsupported(`where(): _.and()/_.or() on "${path}" take operators such as _.gt(1).`);
    }
    return { [path]: operand };
}

/** operatorDoc is the operator document of one field operator: { $gt: 5 }. */
export function operatorDoc(cmd: QueryCmd, where: string): AnyObject {
    const arg = cmd.operands[0];
    switch (cmd.operator) {
        case "eq":
        case "neq":
        case "gt":
        case "gte":
        case "lt":
        case "lte":
            if (arg instanceof RegExpValue || isRegExp(arg)) {
                if (cmd.operator === "eq") {
                    return regexCondition(arg);
                }
                throw unsupported(`where(): "${where}": _.${cmd.operator}() cannot take a regular expression.`);
            }
            return { [comparison[cmd.operator]]: encodeValue(arg, "where()") };
        case "in":
        case "nin":
        case "all":
            return {
                ["$" + cmd.operator]: arg.map((v: any) =>
                    v instanceof RegExpValue || isRegExp(v) ? regexValue(v) : encodeValue(v, "where()"),
                ),
            };
        case "exists":
            return { $exists: arg };
        case "size":
            return { $size: arg };
        case "mod":
            return { $mod: [cmd.operands[0], cmd.operands[1]] };
        case "not":
            return { $not: operatorDoc(arg, where) };
        case "elemMatch":
            if (arg instanceof QueryCmd) {
                return { $elemMatch: elemMatchOperators(arg, where) };
            }
            if (!isPlainObject(arg)) {
                throw unsupported(`where(): "${where}": _.elemMatch() takes a condition object or operators.`);
            }
            return { $elemMatch: encodeQuery(arg) };
        case "geoNear": {
            const o = arg || {};
            const doc: AnyObject = { $geometry: geometry(o.geometry, "geoNear") };
            if (o.maxDistance !== undefined) {
                doc.$maxDistance = o.maxDistance;
            }
            if (o.minDistance !== undefined) {
                doc.$minDistance = o.minDistance;
            }
            return { $nearSphere: doc };
        }
        case "geoWithin": {
            const o = arg || {};
            if (o.centerSphere !== undefined) {
                return { $geoWithin: { $centerSphere: encodeCenter(o.centerSphere) } };
            }
            return { $geoWithin: { $geometry: geometry(o.geometry, "geoWithin") } };
        }
        case "geoIntersects":
            return { $geoIntersects: { $geometry: geometry((arg || {}).geometry, "geoIntersects") } };
    }
    throw unsupported(`where(): _.${cmd.operator}() needs a field.`);
}

/** A regular expression inside $in: MongoDB takes it as a pattern. */
function regexValue(value: RegExp | RegExpValue): AnyObject {
    return regexCondition(value);
}

function encodeCenter(center: any): any {
    if (!Array.isArray(center) || center.length !== 2) {
        throw unsupported("geoWithin({ centerSphere }) takes [point, radiusInRadians].");
    }
    const point = center[0] instanceof GeoValue ? (center[0].toJSON() as AnyObject).coordinates : center[0];
    return [point, center[1]];
}

function geometry(value: any, name: string): AnyObject {
    if (value instanceof GeoValue) {
        return value.toJSON() as AnyObject;
    }
    if (isPlainObject(value) && typeof value.type === "string") {
        return value;
    }
    throw unsupported(`_.${name}() takes { geometry: db.Geo.Point(...) } (or another db.Geo shape).`);
}

/** The value form of elemMatch: operators chained with and() become one document. */
function elemMatchOperators(cmd: QueryCmd, where: string): AnyObject {
    if (cmd.operator === "and") {
        const doc: AnyObject = {};
        for (const operand of cmd.operands) {
            if (!(operand instanceof QueryCmd)) {
                throw unsupported(`where(): "${where}": _.elemMatch() takes operators joined with and().`);
            }
            const part = elemMatchOperators(operand, where);
            for (const key of Object.keys(part)) {
                if (key in doc) {
                    throw unsupported(`where(): "${where}": _.elemMatch() with ${key} twice; use one bound per operator.`);
                }
                doc[key] = part[key];
            }
        }
        return doc;
    }
    if (cmd.operator === "or" || cmd.operator === "nor") {
        throw unsupported(`where(): "${where}": _.elemMatch() of values takes operators joined with and(); for or(), use an object condition.`);
    }
    return operatorDoc(cmd, where);
}

/**
 * encodeUpdate turns update() data into the server's form: plain values and
 * nested objects merge into the document (CloudBase flattens them to dot
 * paths); operators travel as { $op: argument }.
 */
export function encodeUpdate(data: AnyObject, where: string): AnyObject {
    if (!isPlainObject(data)) {
        throw unsupported(`${where} takes { data: { ... } }.`);
    }
    const out: AnyObject = {};
    for (const key of Object.keys(data)) {
        const value = data[key];
        if (value === undefined) {
            continue;
        }
        out[key] = updateValue(value, where);
    }
    return out;
}

function updateValue(value: any, where: string): any {
    if (value instanceof QueryCmd) {
        throw unsupported(`${where}: _.${value.operator}() is a query operator; update operators are _.set, _.inc, _.push and the like.`);
    }
    if (value instanceof UpdateCmd) {
        const arg = value.values[0];
        switch (value.operator) {
            case "set":
                return { $set: encodeValue(arg, where) };
            case "remove":
                return { $unset: true };
            case "inc":
            case "mul":
            case "min":
            case "max":
            case "rename":
            case "pop":
                return { ["$" + value.operator]: encodeValue(arg, where) };
            case "shift":
                return { $pop: -1 };
            case "push": {
                const push: AnyObject = { $each: encodeValue(arg.each, where) };
                for (const key of ["position", "slice", "sort"]) {
                    if (arg[key] !== undefined) {
                        push["$" + key] = arg[key];
                    }
                }
                return { $push: push };
            }
            case "unshift":
                return { $push: { $each: encodeValue(arg, where), $position: 0 } };
            case "pull":
                if (arg instanceof QueryCmd) {
                    return { $pull: operatorDoc(arg, where) };
                }
                if (isPlainObject(arg) && Object.keys(arg).some((k) => arg[k] instanceof QueryCmd)) {
                    return { $pull: encodeQuery(arg) };
                }
                return { $pull: encodeValue(arg, where) };
            case "pullAll":
                return { $pullAll: encodeValue(arg, where) };
            case "addToSet":
                if (isPlainObject(arg) && Array.isArray(arg.each)) {
                    return { $addToSet: { $each: encodeValue(arg.each, where) } };
                }
                return { $addToSet: encodeValue(arg, where) };
        }
    }
    if (isPlainObject(value)) {
        const out: AnyObject = {};
        for (const key of Object.keys(value)) {
            if (value[key] !== undefined) {
                out[key] = updateValue(value[key], where);
            }
        }
        return out;
    }
    return encodeValue(value, where);
}
