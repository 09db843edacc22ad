import { unsupported } from "../errors";

/**
 * Mini-programs have no EventSource, so PocketBase's realtime API cannot
 * connect; the client refuses subscriptions before they get here (see
 * client.ts), and this stand-in makes any other path fail just as clearly.
 */
export class EventSource {
    constructor() {
        throw realtimeUnsupported();
    }
}

export function realtimeUnsupported() {
    return unsupported("Realtime subscriptions are not supported in mini-programs: wx has no EventSource.");
}
