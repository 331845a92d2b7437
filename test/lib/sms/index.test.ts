// The choice of SMS sender from the configuration (lib/sms/index.ts) and the
// SMS variables' validation (lib/config.ts).
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../lib/config.ts";
import { createSmsSender } from "../../../lib/sms/index.ts";
import { SnsSmsSender } from "../../../lib/sms/sns.ts";

describe("SMS configuration", () => {
  it("defaults to the log sender; SMS_PROVIDER=sns needs AWS_REGION, with a clear message", () => {
    expect(createSmsSender(loadConfig({})).provider).toBe("log");
    expect(() => loadConfig({ SMS_PROVIDER: "sns" })).toThrowError(ConfigError);
    expect(() => loadConfig({ SMS_PROVIDER: "sns" })).toThrowError(/AWS_REGION: is required when SMS_PROVIDER=sns/);
    expect(() => loadConfig({ SMS_PROVIDER: "twilio" })).toThrowError(/SMS_PROVIDER: must be one of log, sns/);
    const sender = createSmsSender(
      loadConfig({ SMS_PROVIDER: "sns", AWS_REGION: "eu-west-3", SNS_ENDPOINT: "http://127.0.0.1:4566", SMS_SENDER_ID: "Waitify" }),
    );
    expect(sender).toBeInstanceOf(SnsSmsSender);
    (sender as SnsSmsSender).destroy();
  });

  it("validates the sender id, the endpoint and PUBLIC_URL", () => {
    expect(() => loadConfig({ SMS_SENDER_ID: "Waitify Queue" })).toThrowError(/SMS_SENDER_ID/);
    expect(() => loadConfig({ SMS_SENDER_ID: "123456" })).toThrowError(/SMS_SENDER_ID/);
    expect(() => loadConfig({ SNS_ENDPOINT: "not a url" })).toThrowError(/SNS_ENDPOINT/);
    expect(() => loadConfig({ AWS_REGION: "paris" })).toThrowError(/AWS_REGION/);
    expect(() => loadConfig({ PUBLIC_URL: "waitify.example" })).toThrowError(/PUBLIC_URL/);
    expect(loadConfig({ PUBLIC_URL: "https://waitify.example/" }).PUBLIC_URL).toBe("https://waitify.example");
  });
});
