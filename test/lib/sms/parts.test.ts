// The pieces of lib/sms without a database: part counting, the choice of
// sender from the configuration, how SNS errors are classified, and what the
// development sender writes to the log.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../lib/config.ts";
import { createSmsSender } from "../../../lib/sms/index.ts";
import { LogSmsSender, redactStatusLinks } from "../../../lib/sms/log.ts";
import { countSmsParts } from "../../../lib/sms/parts.ts";
import { classifySnsError, SnsSmsSender } from "../../../lib/sms/sns.ts";

describe("countSmsParts", () => {
  it("GSM-7: 160 characters in one part, then 153 per part", () => {
    expect(countSmsParts("a".repeat(160))).toEqual({ encoding: "GSM-7", units: 160, parts: 1 });
    expect(countSmsParts("a".repeat(161))).toEqual({ encoding: "GSM-7", units: 161, parts: 2 });
    expect(countSmsParts("a".repeat(306))).toMatchObject({ parts: 2 });
    expect(countSmsParts("a".repeat(307))).toMatchObject({ parts: 3 });
  });

  it("French accents of the GSM alphabet (é è à ù) stay GSM-7; ê ç ’ switch to UCS-2 (70, then 67)", () => {
    expect(countSmsParts("Votre place chez Léa a été annulée, à bientôt où vous êtes").encoding).toBe("UCS-2");
    expect(countSmsParts("Présentez-vous au comptoir, à tout à l'heure").encoding).toBe("GSM-7");
    expect(countSmsParts("ç".repeat(70))).toEqual({ encoding: "UCS-2", units: 70, parts: 1 });
    expect(countSmsParts("ç".repeat(71))).toMatchObject({ parts: 2 });
    expect(countSmsParts("ç".repeat(134))).toMatchObject({ parts: 2 });
    expect(countSmsParts("ç".repeat(135))).toMatchObject({ parts: 3 });
    expect(countSmsParts("l’heure").encoding).toBe("UCS-2");
  });

  it("extension characters (€ [ ] { } ~ ^ | \\) count two septets and are never split across parts", () => {
    expect(countSmsParts("€".repeat(80))).toEqual({ encoding: "GSM-7", units: 160, parts: 1 });
    expect(countSmsParts("€".repeat(81))).toMatchObject({ units: 162, parts: 2 });
    // 152 septets then an escape pair: the pair moves to the second part.
    expect(countSmsParts("a".repeat(152) + "€" + "a".repeat(10))).toMatchObject({ units: 164, parts: 2 });
    expect(countSmsParts("a".repeat(152) + "€" + "a".repeat(152))).toMatchObject({ units: 306, parts: 3 });
  });

  it("an emoji is two UCS-2 units and is not split", () => {
    expect(countSmsParts("😀".repeat(35))).toEqual({ encoding: "UCS-2", units: 70, parts: 1 });
    expect(countSmsParts("a" + "😀".repeat(33) + "😀")).toMatchObject({ units: 69, parts: 1 });
    expect(countSmsParts("a".repeat(66) + "😀" + "a".repeat(10))).toMatchObject({ units: 78, parts: 2 });
  });
});

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

describe("classifySnsError", () => {
  const aws = (name: string, status: number | undefined, fault: "client" | "server" = "client") =>
    Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode: status } });

  it("retries throttling, 5xx, network failures and credential problems", () => {
    for (const error of [
      aws("ThrottledException", 429),
      aws("Throttling", 400),
      aws("InternalErrorException", 500, "server"),
      aws("ServiceUnavailable", 503, "server"),
      aws("ExpiredToken", 403),
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
    ]) {
      expect(classifySnsError(error).permanent).toBe(false);
    }
  });

  it("gives up on refusals of the message itself", () => {
    for (const error of [aws("InvalidParameterException", 400), aws("OptedOutException", 400), aws("EndpointDisabledException", 400)]) {
      expect(classifySnsError(error)).toMatchObject({ permanent: true, httpStatus: 400 });
    }
  });
});

describe("the log sender", () => {
  it("logs the message with the phone masked and the status token shortened, and returns an id", async () => {
    const lines: Array<[string, Record<string, unknown>]> = [];
    const token = "abcdEFGHijklMNOPqrstUVWXyz012345";
    const receipt = await new LogSmsSender((message, fields) => lines.push([message, fields])).send({
      phone: "+33612345678",
      body: `Suivi: https://w.example/e/${token}`,
    });
    expect(receipt.messageId).toMatch(/^log-/);
    expect(lines).toEqual([
      [
        "SMS (log provider, not sent)",
        { to: "+336******78", body: "Suivi: https://w.example/e/abcd…", messageId: receipt.messageId },
      ],
    ]);
    expect(redactStatusLinks("https://w.example/e/abcdEFGHijklMNOPqrstUVWXyz012345 ok")).toBe("https://w.example/e/abcd… ok");
  });
});
