import type { AnyObject } from "../../types/index";
import { unsupported } from "../errors";
import { QueryCmd, UpdateCmd } from "./command";
import { checkName, isPlainObject, serverField } from "./fields";

/**
 * What the update needs to know about a field that an operator touches:
 * whether PocketBase stores it as JSON (no +/- modifiers there).
 */
export type IsJSONField = (field: string) => Promise<boolean>;

/** The fields whose operators need the record's current values and field types. */
export function fieldsNeedingRecord(data: AnyObject): string[] {
    return Object.keys(data).filter((key) => {
        const value = data[key];
        return value instanceof UpdateCmd && (value.operator === "inc" || value.operator === "push" || value.operator === "pull");
    });
}

/** plainValue checks a value written as is. */
function plainValue(where: string, field: string, value: any, nestedIsReplace: boolean): any {
    if (value instanceof QueryCmd) {
        throw unsupported(`${where}: "${field}" holds a query operator; update operators are _.inc, _.push, _.pull, _.pullAll, _.set, _.remove.`);
    }
    if (!nestedIsReplace && isPlainObject(value)) {
        // CloudBase merges a nested object into the stored one; PocketBase
        // would replace the whole JSON field. Say so rather than lose data.
        throw unsupported(
            `${where}: "${field}" is a nested object, which CloudBase merges but PocketBase would store whole; use _.set({...}) to replace the field, or write the whole object.`,
        );
    }
    return value;
}

/**
 * dataBody maps add()/set() data: _id/_openid names, plain values only.
 * Nested objects are JSON values there, stored as they are.
 */
export function dataBody(where: string, data: AnyObject): AnyObject {
    if (!isPlainObject(data)) {
        throw unsupported(`${where} takes { data: { ... } }.`);
    }
    const body: AnyObject = {};
    for (const key of Object.keys(data)) {
        const value = data[key];
        if (value === undefined) {
            continue;
        }
        const name = checkName(serverField(key), where);
        if (value instanceof UpdateCmd) {
            throw unsupported(`${where}: "${key}" holds _.${value.operator}(); update operators are for update().`);
        }
        body[name] = plainValue(where, key, value, true);
    }
    return body;
}

/**
 * updateBody maps update() data onto a PocketBase update body.
 *
 *   inc        → field+ / field- (number fields; atomic)
 *   push, pull → field+ / field- (multi-value select, relation, file; atomic),
 *                or the new array for a JSON field: read, modify, write (not atomic)
 *   set        → the value as is; remove → null
 *
 * record is the current record, needed only when fieldsNeedingRecord() is not empty.
 */
export async function updateBody(where: string, data: AnyObject, record: AnyObject | null, isJSON: IsJSONField): Promise<AnyObject> {
    if (!isPlainObject(data)) {
        throw unsupported(`${where} takes { data: { ... } }.`);
    }
    const body: AnyObject = {};
    for (const key of Object.keys(data)) {
        const value = data[key];
        if (value === undefined) {
            continue;
        }
        const name = checkName(serverField(key), where);
        if (!(value instanceof UpdateCmd)) {
            body[name] = plainValue(where, key, value, false);
            continue;
        }
        switch (value.operator) {
            case "set":
                body[name] = value.values[0];
                continue;
            case "remove":
                body[name] = null;
                continue;
        }
        if (!record || !(name in record)) {
            throw unsupported(`${where}: the record has no field "${key}" (or it is hidden), so _.${value.operator}() cannot apply.`);
        }
        const current = record[name];
        const json = await isJSON(name);
        if (value.operator === "inc") {
            if (json || typeof current !== "number") {
                throw unsupported(`${where}: _.inc() needs a number field; "${key}" is ${json ? "a JSON field" : "not a number"}.`);
            }
            const n = value.values[0];
            if (n < 0) {
                body[name + "-"] = -n;
            } else {
                body[name + "+"] = n;
            }
            continue;
        }
        // push or pull
        if (json) {
            if (current !== null && !Array.isArray(current)) {
                throw unsupported(`${where}: _.${value.operator}() needs an array; the JSON field "${key}" holds something else.`);
            }
            const items: any[] = current || [];
            body[name] =
                value.operator === "push"
                    ? items.concat(value.values)
                    : items.filter((item) => !value.values.some((v) => sameJSON(item, v)));
            continue;
        }
        if (!Array.isArray(current)) {
            throw unsupported(
                `${where}: _.${value.operator}() needs a multi-value select, relation or file field, or a JSON array; "${key}" holds a single value.`,
            );
        }
        body[name + (value.operator === "push" ? "+" : "-")] = value.values;
    }
    return body;
}

function sameJSON(a: any, b: any): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}
