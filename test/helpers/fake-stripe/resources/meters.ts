// Billing meters and meter events. A meter event is accepted once per
// identifier: Stripe refuses a second event with the same identifier (400,
// "An event already exists with identifier …", Stripe-Should-Retry: false),
// which is what makes an hourly usage report safe to retry. The same POST
// replayed with its Idempotency-Key is answered from the idempotency store
// before reaching this code, as at Stripe.
import { FakeStripeError, invalidRequest, missingParam } from "../errors.ts";
import type { Params } from "../forms.ts";
import { listObject } from "../list.ts";
import { int, obj, oneOf, required, str } from "../params.ts";
import { route, type Route } from "../router.ts";
import { newId, type Store, type StripeObject } from "../store.ts";

function createMeter(store: Store, params: Params): StripeObject {
  const displayName = required(str(params.display_name, "display_name"), "display_name");
  const eventName = required(str(params.event_name, "event_name"), "event_name");
  const aggregation = obj(params.default_aggregation, "default_aggregation");
  const formula = required(oneOf(aggregation?.formula, ["sum", "count", "last"] as const, "default_aggregation[formula]"), "default_aggregation[formula]");
  const mapping = obj(params.customer_mapping, "customer_mapping");
  const valueSettings = obj(params.value_settings, "value_settings");
  if (store.all("billing.meter").some((meter) => meter.event_name === eventName && meter.status === "active")) {
    throw invalidRequest(`An active meter with event_name \`${eventName}\` already exists.`, "event_name");
  }
  const now = store.now();
  return store.add({
    id: newId("mtr_test_", 32),
    object: "billing.meter",
    created: now,
    customer_mapping: {
      event_payload_key: str(mapping?.event_payload_key, "customer_mapping[event_payload_key]") ?? "stripe_customer_id",
      type: oneOf(mapping?.type, ["by_id"] as const, "customer_mapping[type]") ?? "by_id",
    },
    default_aggregation: { formula },
    display_name: displayName,
    event_name: eventName,
    event_time_window: oneOf(params.event_time_window, ["day", "hour"] as const, "event_time_window") ?? null,
    livemode: false,
    status: "active",
    status_transitions: { deactivated_at: null },
    updated: now,
    value_settings: { event_payload_key: str(valueSettings?.event_payload_key, "value_settings[event_payload_key]") ?? "value" },
  });
}

function createMeterEvent(store: Store, params: Params): Record<string, unknown> {
  const eventName = required(str(params.event_name, "event_name"), "event_name");
  const payloadHash = obj(params.payload, "payload");
  if (!payloadHash) throw missingParam("payload");
  const payload = Object.fromEntries(Object.entries(payloadHash).map(([key, value]) => [key, String(value)]));
  // The payload keys come from the event's meter (Stripe's defaults without one).
  const meter = store.all("billing.meter").find((item) => item.event_name === eventName && item.status === "active");
  const customerKey = String((meter?.customer_mapping as { event_payload_key?: string } | undefined)?.event_payload_key ?? "stripe_customer_id");
  const valueKey = String((meter?.value_settings as { event_payload_key?: string } | undefined)?.event_payload_key ?? "value");
  if (!payload[customerKey]) throw invalidRequest(`Missing required param: payload[${customerKey}].`, `payload[${customerKey}]`, "parameter_missing");
  if (!/^\d+(\.\d+)?$/.test(payload[valueKey] ?? "")) {
    throw invalidRequest(`payload[${valueKey}] must be a non-negative number.`, `payload[${valueKey}]`);
  }
  const now = store.now();
  const timestamp = int(params.timestamp, "timestamp") ?? now;
  if (timestamp < now - 35 * 86_400 || timestamp > now + 300) {
    throw invalidRequest("The timestamp must be within the past 35 calendar days or up to 5 minutes in the future.", "timestamp");
  }
  const identifier = str(params.identifier, "identifier") ?? newId("", 32);
  if (store.meterEvents.some((event) => event.identifier === identifier)) {
    throw new FakeStripeError(
      400,
      { type: "invalid_request_error", message: `An event already exists with identifier ${identifier}.`, param: "identifier" },
      { "Stripe-Should-Retry": "false" },
    );
  }
  const record = { event_name: eventName, identifier, payload, timestamp, created: now };
  store.meterEvents.push(record);
  // Meter events have no id: the answer is the event as recorded.
  return { object: "billing.meter_event", livemode: false, ...record };
}

export const meterRoutes: Route[] = [
  route("POST", "/v1/billing/meters", ({ store, params }) => createMeter(store, params)),
  route("GET", "/v1/billing/meters", ({ store, params }) => {
    const status = oneOf(params.status, ["active", "inactive"] as const, "status");
    const meters = store.all("billing.meter").filter((meter) => !status || meter.status === status);
    return listObject(meters, params, "/v1/billing/meters");
  }),
  route("GET", "/v1/billing/meters/:id", ({ store, args }) => store.get("billing.meter", args[0]!)),
  route("POST", "/v1/billing/meters/:id/deactivate", ({ store, args }) => {
    const meter = store.get("billing.meter", args[0]!);
    meter.status = "inactive";
    meter.status_transitions = { deactivated_at: store.now() };
    return meter;
  }),
  route("POST", "/v1/billing/meter_events", ({ store, params }) => createMeterEvent(store, params)),
];
