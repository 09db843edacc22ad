import { unsupported } from "../errors";

// Field names become part of PocketBase filter and sort expressions, where
// values are bound as parameters but names cannot be: so names must be plain
// identifiers (dots join the steps of a JSON path or relation).
const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** checkName refuses a field name that is not a plain identifier. */
export function checkName(name: string, where: string): string {
    if (!identifier.test(name)) {
        throw unsupported(`${where}: "${name}" is not a field name PocketBase accepts (letters, digits and _).`);
    }
    return name;
}

/** serverField maps CloudBase's system field names to PocketBase's. */
export function serverField(name: string): string {
    if (name === "_id") {
        return "id";
    }
    if (name === "_openid") {
        return "owner";
    }
    return name;
}

/** isPlainObject tells a nested condition or JSON object from values such as Date. */
export function isPlainObject(value: any): value is { [key: string]: any } {
    if (value === null || typeof value !== "object") {
        return false;
    }
    const proto = Object.getPrototypeOf(value);
    return proto === null || Object.getPrototypeOf(proto) === null;
}
