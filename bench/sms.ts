// SMS benchmarks (`npm run bench -- sms`): the delay from a committed join to
// its Publish at a local SNS endpoint (bench/sms-latency.ts), then the chaos
// run, SIGKILLed worker and failing endpoint (bench/sms-chaos.ts). Each prints
// its figures as JSON; see bench/README.md.
import smsChaos from "./sms-chaos.ts";
import smsLatency from "./sms-latency.ts";

export default async function sms(): Promise<void> {
  console.log("sms latency: committed join → Publish at the local SNS endpoint");
  const latencyOk = await smsLatency();
  console.log("sms chaos: worker SIGKILLed every few seconds, endpoint failing 10 %");
  const chaosOk = await smsChaos();
  if (!latencyOk || !chaosOk) process.exitCode = 1;
}
