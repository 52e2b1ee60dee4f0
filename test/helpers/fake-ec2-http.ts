import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import {
  EC2Client,
  type Instance,
  type InstanceStatus,
  type InstanceStatusSummary,
} from '@aws-sdk/client-ec2';
import { type HttpRequest, HttpResponse } from '@smithy/protocol-http';
import type { FakeEc2 } from './fake-ec2.js';

/**
 * The paging fake EC2 behind a real `EC2Client`: a request handler that reads EC2's query protocol
 * (the form the SDK posts) and answers in EC2's XML, so the SDK's own request building and, above
 * all, its response parsing run as against EC2. For measuring what a sweep costs in CPU (the cost
 * benchmark), where the SDK's reading of 1,000-instance pages is a real share.
 *
 * Only the read calls a steady sweep makes are spoken here: `DescribeInstances` and
 * `DescribeInstanceStatus` (others fail). Each instance carries the elements EC2 returns for a
 * typical VPC instance with one network interface and one EBS root volume, so a page weighs about
 * what EC2's does.
 */

const XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** `Filter.N.Name` / `Filter.N.Value.M`, `InstanceId.N`, `MaxResults`, `NextToken`, `IncludeAllInstances`. */
export function decodeQuery(params: URLSearchParams): { action: string; input: Record<string, unknown> } {
  const filters = new Map<number, { Name?: string; Values: string[] }>();
  const ids: string[] = [];
  const input: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const filter = /^Filter\.(\d+)\.(Name|Value\.(\d+))$/.exec(key);
    if (filter) {
      const n = Number(filter[1]);
      const f = filters.get(n) ?? { Values: [] };
      if (filter[2] === 'Name') f.Name = value;
      else f.Values[Number(filter[3]) - 1] = value;
      filters.set(n, f);
    } else if (/^InstanceId\.\d+$/.test(key)) ids[Number(key.split('.')[1]) - 1] = value;
    else if (key === 'MaxResults') input.MaxResults = Number(value);
    else if (key === 'NextToken') input.NextToken = value;
    else if (key === 'IncludeAllInstances') input.IncludeAllInstances = value === 'true';
    else if (key !== 'Action' && key !== 'Version')
      throw new Error(`the fake EC2 endpoint does not read ${key}`);
  }
  if (filters.size > 0) input.Filters = [...filters].sort(([a], [b]) => a - b).map(([, f]) => f);
  if (ids.length > 0) input.InstanceIds = ids;
  return { action: params.get('Action') ?? '', input };
}

function instanceXml(i: Instance, n: number): string {
  const tags = (i.Tags ?? [])
    .map((t) => `<item><key>${esc(t.Key ?? '')}</key><value>${esc(t.Value ?? '')}</value></item>`)
    .join('');
  const launched = i.LaunchTime?.toISOString() ?? new Date(0).toISOString();
  const ip = i.PrivateIpAddress ?? '10.0.0.1';
  const dns = `ip-${ip.replace(/\./g, '-')}.ec2.internal`;
  const eni = `eni-${n.toString(16).padStart(17, '0')}`;
  const vol = `vol-${n.toString(16).padStart(17, '0')}`;
  return `<item><instanceId>${i.InstanceId}</instanceId><imageId>${i.ImageId}</imageId><instanceState><code>${i.State?.Code}</code><name>${i.State?.Name}</name></instanceState><privateDnsName>${dns}</privateDnsName><dnsName/><reason/><amiLaunchIndex>0</amiLaunchIndex><productCodes/><instanceType>${i.InstanceType}</instanceType><launchTime>${launched}</launchTime><placement><availabilityZoneId>use1-az1</availabilityZoneId><availabilityZone>${i.Placement?.AvailabilityZone}</availabilityZone><groupName/><tenancy>default</tenancy></placement><monitoring><state>disabled</state></monitoring><subnetId>${i.SubnetId}</subnetId><vpcId>vpc-0fake0000000000001</vpcId><privateIpAddress>${ip}</privateIpAddress><sourceDestCheck>true</sourceDestCheck><groupSet><item><groupId>sg-0fake0000000000001</groupId><groupName>default</groupName></item></groupSet><architecture>x86_64</architecture><rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/xvda</rootDeviceName><blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><volumeId>${vol}</volumeId><status>attached</status><attachTime>${launched}</attachTime><deleteOnTermination>true</deleteOnTermination></ebs></item></blockDeviceMapping><virtualizationType>hvm</virtualizationType><clientToken>${esc(i.ClientToken ?? '')}</clientToken><tagSet>${tags}</tagSet><hypervisor>xen</hypervisor><networkInterfaceSet><item><networkInterfaceId>${eni}</networkInterfaceId><subnetId>${i.SubnetId}</subnetId><vpcId>vpc-0fake0000000000001</vpcId><description/><ownerId>123456789012</ownerId><status>in-use</status><macAddress>0a:00:00:00:00:01</macAddress><privateIpAddress>${ip}</privateIpAddress><privateDnsName>${dns}</privateDnsName><sourceDestCheck>true</sourceDestCheck><groupSet><item><groupId>sg-0fake0000000000001</groupId><groupName>default</groupName></item></groupSet><attachment><attachmentId>eni-attach-${n.toString(16).padStart(17, '0')}</attachmentId><deviceIndex>0</deviceIndex><status>attached</status><attachTime>${launched}</attachTime><deleteOnTermination>true</deleteOnTermination><networkCardIndex>0</networkCardIndex></attachment><privateIpAddressesSet><item><privateIpAddress>${ip}</privateIpAddress><privateDnsName>${dns}</privateDnsName><primary>true</primary></item></privateIpAddressesSet><ipv6AddressesSet/><interfaceType>interface</interfaceType></item></networkInterfaceSet><iamInstanceProfile><arn>arn:aws:iam::123456789012:instance-profile/app</arn><id>AIPA0FAKE000000000001</id></iamInstanceProfile><ebsOptimized>false</ebsOptimized><enaSupport>true</enaSupport><cpuOptions><coreCount>1</coreCount><threadsPerCore>2</threadsPerCore></cpuOptions><capacityReservationSpecification><capacityReservationPreference>open</capacityReservationPreference></capacityReservationSpecification><hibernationOptions><configured>false</configured></hibernationOptions><metadataOptions><state>applied</state><httpTokens>required</httpTokens><httpPutResponseHopLimit>2</httpPutResponseHopLimit><httpEndpoint>enabled</httpEndpoint><httpProtocolIpv6>disabled</httpProtocolIpv6><instanceMetadataTags>disabled</instanceMetadataTags></metadataOptions><enclaveOptions><enabled>false</enabled></enclaveOptions><bootMode>uefi-preferred</bootMode><platformDetails>Linux/UNIX</platformDetails><usageOperation>RunInstances</usageOperation><usageOperationUpdateTime>${launched}</usageOperationUpdateTime><privateDnsNameOptions><hostnameType>ip-name</hostnameType><enableResourceNameDnsARecord>false</enableResourceNameDnsARecord><enableResourceNameDnsAAAARecord>false</enableResourceNameDnsAAAARecord></privateDnsNameOptions><maintenanceOptions><autoRecovery>default</autoRecovery></maintenanceOptions><currentInstanceBootMode>uefi</currentInstanceBootMode></item>`;
}

function summaryXml(tag: string, s: InstanceStatusSummary | undefined): string {
  if (!s) return '';
  const details = (s.Details ?? [])
    .map(
      (d) =>
        `<item><name>${d.Name}</name><status>${d.Status}</status>${d.ImpairedSince ? `<impairedSince>${d.ImpairedSince.toISOString()}</impairedSince>` : ''}</item>`,
    )
    .join('');
  return `<${tag}><status>${s.Status}</status><details>${details}</details></${tag}>`;
}

function statusXml(s: InstanceStatus): string {
  return `<item><instanceId>${s.InstanceId}</instanceId><availabilityZone>${s.AvailabilityZone}</availabilityZone><instanceState><code>${s.InstanceState?.Code}</code><name>${s.InstanceState?.Name}</name></instanceState>${summaryXml('systemStatus', s.SystemStatus)}${summaryXml('instanceStatus', s.InstanceStatus)}${summaryXml('attachedEbsStatus', s.AttachedEbsStatus)}</item>`;
}

function respond(status: number, xml: string): { response: HttpResponse } {
  return {
    response: new HttpResponse({
      statusCode: status,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body: Readable.from([Buffer.from(xml, 'utf8')]),
    }),
  };
}

/** Answers `request` (EC2 query protocol) from `fake`, in EC2's XML. */
export async function answer(fake: FakeEc2, request: HttpRequest): Promise<{ response: HttpResponse }> {
  const requestId = 'a1b2c3d4-0000-0000-0000-000000000000';
  let action = '';
  try {
    const decoded = decodeQuery(new URLSearchParams(String(request.body ?? '')));
    action = decoded.action;
    const out = (await fake.send({ input: decoded.input, constructor: { name: `${action}Command` } })) as {
      Reservations?: { ReservationId?: string; OwnerId?: string; Instances?: Instance[] }[];
      InstanceStatuses?: InstanceStatus[];
      NextToken?: string;
    };
    const next = out.NextToken ? `<nextToken>${esc(out.NextToken)}</nextToken>` : '';
    if (action === 'DescribeInstances') {
      let n = 0;
      const reservations = (out.Reservations ?? [])
        .map(
          (r) =>
            `<item><reservationId>${r.ReservationId}</reservationId><ownerId>${r.OwnerId}</ownerId><groupSet/><instancesSet>${(r.Instances ?? []).map((i) => instanceXml(i, ++n)).join('')}</instancesSet></item>`,
        )
        .join('');
      return respond(
        200,
        `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="${XMLNS}"><requestId>${requestId}</requestId><reservationSet>${reservations}</reservationSet>${next}</DescribeInstancesResponse>`,
      );
    }
    if (action === 'DescribeInstanceStatus') {
      const statuses = (out.InstanceStatuses ?? []).map(statusXml).join('');
      return respond(
        200,
        `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstanceStatusResponse xmlns="${XMLNS}"><requestId>${requestId}</requestId><instanceStatusSet>${statuses}</instanceStatusSet>${next}</DescribeInstanceStatusResponse>`,
      );
    }
    throw Object.assign(new Error(`the fake EC2 endpoint does not speak ${action}`), {
      name: 'InvalidAction',
    });
  } catch (err) {
    const code = err instanceof Error ? err.name : 'InternalError';
    const message = err instanceof Error ? err.message : String(err);
    return respond(
      400,
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    );
  }
}

/**
 * A real `EC2Client` whose requests `fake` answers (no socket, no network). `timing`, when given,
 * adds up the wall and CPU time spent answering (EC2's side: filtering, paging, writing the XML), so
 * that a measurement can tell it from the client's.
 */
export function fakeEc2HttpClient(
  fake: FakeEc2,
  timing?: { serverMs: number; serverCpuMs: number },
): EC2Client {
  return new EC2Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    requestHandler: {
      async handle(request: HttpRequest) {
        const started = performance.now();
        const cpu = process.cpuUsage();
        try {
          return await answer(fake, request);
        } finally {
          if (timing) {
            timing.serverMs += performance.now() - started;
            const used = process.cpuUsage(cpu);
            timing.serverCpuMs += (used.user + used.system) / 1000;
          }
        }
      },
      updateHttpClientConfig() {},
      httpHandlerConfigs: () => ({}),
    },
  });
}
