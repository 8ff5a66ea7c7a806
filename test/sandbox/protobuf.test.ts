import { StatusError } from '../../src/sandbox/errors.js';
import { decodeProtobuf } from '../../src/sandbox/protobuf.js';

// The protobuf request bodies the sandbox reads, as JSON: each must be the object a JSON client
// would have sent. The first bodies are kubectl 1.32's own (captured on the wire); their expected
// JSON is what `kubectl <same command> --dry-run=client -o json` prints. The rest are built here,
// field number by field number from the vendored generated.proto files, for the types whose JSON
// form is their own.

/** One field: its number and value (a string or bytes, a varint, or a nested message). */
type Field = [number, string | Buffer | number | boolean | Field[]];

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
  return Buffer.from(out);
}

/** The wire bytes of a message, fields in the given order. */
function msg(fields: Field[]): Buffer {
  return Buffer.concat(
    fields.map(([no, v]) => {
      if (typeof v === 'number' || typeof v === 'boolean') return Buffer.concat([varint(no * 8), varint(+v)]);
      const bytes = typeof v === 'string' ? Buffer.from(v) : Buffer.isBuffer(v) ? v : msg(v);
      return Buffer.concat([varint(no * 8 + 2), varint(bytes.length), bytes]);
    }),
  );
}

/** apimachinery's envelope: `k8s\0`, then runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw}. */
function envelope(apiVersion: string, kind: string, object: Field[]): Buffer {
  return Buffer.concat([
    Buffer.from('k8s\0', 'latin1'),
    msg([
      [
        1,
        [
          [1, apiVersion],
          [2, kind],
        ],
      ],
      [2, msg(object)],
      [3, ''],
      [4, ''],
    ]),
  ]);
}

const any = { apiVersion: 'v1', kind: 'Pod' };
const b64 = (s: string) => Buffer.from(s, 'base64');

describe('protobuf bodies kubectl sends', () => {
  it.each([
    [
      'create namespace x',
      'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhkKEQoBeBIAGgAiACoAMgA4AEIAEgAaAgoAGgAiAA==',
      {
        kind: 'Namespace',
        apiVersion: 'v1',
        metadata: { name: 'x', creationTimestamp: null },
        spec: {},
        status: {},
      },
    ],
    [
      'create deployment web --image=nginx',
      'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EqsBCh8KA3dlYhIAGgAiACoAMgA4AEIAWgoKA2FwcBIDd2ViEnoIARIMCgoKA2FwcBIDd2ViGmAKHAoAEgAaACIAKgAyADgAQgBaCgoDYXBwEgN3ZWISQBIiCgVuZ2lueBIFbmdpbngqAEIAagByAIABAIgBAJABAKIBABoAMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAiAgoAKAA4ABoMCAAQABgAIAAoADgAGgAiAA==',
      {
        kind: 'Deployment',
        apiVersion: 'apps/v1',
        metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { creationTimestamp: null, labels: { app: 'web' } },
            spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] },
          },
          strategy: {},
        },
        status: {},
      },
    ],
    [
      'create configmap c --from-literal=a=b',
      'azhzAAoPCgJ2MRIJQ29uZmlnTWFwEhsKEQoBYxIAGgAiACoAMgA4AEIAEgYKAWESAWIaACIA',
      {
        kind: 'ConfigMap',
        apiVersion: 'v1',
        metadata: { name: 'c', creationTimestamp: null },
        data: { a: 'b' },
      },
    ],
    [
      'create secret generic s --from-literal=k=v',
      'azhzAAoMCgJ2MRIGU2VjcmV0Eh0KEQoBcxIAGgAiACoAMgA4AEIAEgYKAWsSAXYaABoAIgA=',
      {
        kind: 'Secret',
        apiVersion: 'v1',
        metadata: { name: 's', creationTimestamp: null },
        data: { k: 'dg==' },
      },
    ],
    [
      'create service clusterip svc --tcp=80:8080',
      'azhzAAoNCgJ2MRIHU2VydmljZRJpCh8KA3N2YxIAGgAiACoAMgA4AEIAWgoKA2FwcBIDc3ZjEkIKGwoHODAtODA4MBIDVENQGFAiBwgAEJA/GgAoABIKCgNhcHASA3N2YxoAIglDbHVzdGVySVA6AEIAUgBaAGAAaAAaAgoAGgAiAA==',
      {
        kind: 'Service',
        apiVersion: 'v1',
        metadata: { name: 'svc', creationTimestamp: null, labels: { app: 'svc' } },
        spec: {
          ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }],
          selector: { app: 'svc' },
          type: 'ClusterIP',
        },
        status: { loadBalancer: {} },
      },
    ],
    [
      'create role r --verb=get --resource=pods',
      'azhzAAokChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgRSb2xlEiIKEQoBchIAGgAiACoAMgA4AEIAEg0KA2dldBIAGgRwb2RzGgAiAA==',
      {
        kind: 'Role',
        apiVersion: 'rbac.authorization.k8s.io/v1',
        metadata: { name: 'r', creationTimestamp: null },
        rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }],
      },
    ],
    [
      'create rolebinding rb --role=r --user=bob',
      'azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtSb2xlQmluZGluZxJkChIKAnJiEgAaACIAKgAyADgAQgASKAoEVXNlchIZcmJhYy5hdXRob3JpemF0aW9uLms4cy5pbxoDYm9iIgAaJAoZcmJhYy5hdXRob3JpemF0aW9uLms4cy5pbxIEUm9sZRoBchoAIgA=',
      {
        kind: 'RoleBinding',
        apiVersion: 'rbac.authorization.k8s.io/v1',
        metadata: { name: 'rb', creationTimestamp: null },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' }],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      },
    ],
    [
      'auth can-i get pods',
      'azhzAAoyChdhdXRob3JpemF0aW9uLms4cy5pby92MRIXU2VsZlN1YmplY3RBY2Nlc3NSZXZpZXcSPAoQCgASABoAIgAqADIAOABCABIeChwKB2RlZmF1bHQSA2dldBoAIgAqBHBvZHMyADoAGggIABIAGgAgABoAIgA=',
      {
        kind: 'SelfSubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
        status: { allowed: false },
      },
    ],
  ])('GIVEN kubectl %s THEN its body decodes to the JSON kubectl prints for it', (_cmd, body, json) => {
    const decoded = decodeProtobuf(b64(body), { apiVersion: json.apiVersion, kind: json.kind });
    expect(decoded).toEqual(json);
    // Field by field in the order kubectl's JSON has them (Go's struct order), nested ones too.
    const { kind: _k, apiVersion: _a, ...got } = decoded;
    const { kind: _k2, apiVersion: _a2, ...want } = json;
    expect(JSON.stringify(got)).toBe(JSON.stringify(want));
  });
});

describe('the types with a JSON form of their own', () => {
  const meta: Field = [1, [[1, 'p']]];

  it('GIVEN Time and MicroTime THEN RFC 3339 in seconds and in microseconds, UTC; an empty Time is null', () => {
    const lease = decodeProtobuf(
      envelope('coordination.k8s.io/v1', 'Lease', [
        [
          1,
          [
            [1, 'l'],
            [
              8,
              [
                [1, 1_700_000_000],
                [2, 250_000_000],
              ],
            ],
          ],
        ],
        [
          2,
          [
            [1, 'me'],
            [
              3,
              [
                [1, 1_700_000_001],
                [2, 123_456_789],
              ],
            ],
            [4, [[1, 1_700_000_002]]],
          ],
        ],
      ]),
      any,
    );
    expect(lease).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'l', creationTimestamp: '2023-11-14T22:13:20Z' },
      spec: {
        holderIdentity: 'me',
        acquireTime: '2023-11-14T22:13:21.123456Z',
        renewTime: '2023-11-14T22:13:22.000000Z',
      },
    });
    const ns = decodeProtobuf(
      envelope('v1', 'Namespace', [
        [
          1,
          [
            [1, 'n'],
            [8, []],
          ],
        ],
      ]),
      any,
    );
    expect(ns.metadata).toEqual({ name: 'n', creationTimestamp: null });
  });

  it('GIVEN IntOrString THEN type 0 is its intVal and type 1 its strVal', () => {
    const port = (targetPort: Field[]): Field[] => [
      meta,
      [
        2,
        [
          [
            1,
            [
              [3, 80],
              [4, targetPort],
            ],
          ],
        ],
      ],
    ];
    const byNumber = decodeProtobuf(
      envelope(
        'v1',
        'Service',
        port([
          [1, 0],
          [2, 8080],
          [3, ''],
        ]),
      ),
      any,
    );
    const byName = decodeProtobuf(
      envelope(
        'v1',
        'Service',
        port([
          [1, 1],
          [2, 0],
          [3, 'http'],
        ]),
      ),
      any,
    );
    expect((byNumber.spec as any).ports).toEqual([{ port: 80, targetPort: 8080 }]);
    expect((byName.spec as any).ports).toEqual([{ port: 80, targetPort: 'http' }]);
    const d = decodeProtobuf(
      envelope('apps/v1', 'Deployment', [
        meta,
        [
          2,
          [
            [
              4,
              [
                [1, 'RollingUpdate'],
                [
                  2,
                  [
                    [
                      1,
                      [
                        [1, 0],
                        [2, 0],
                      ],
                    ],
                    [
                      2,
                      [
                        [1, 1],
                        [3, '25%'],
                      ],
                    ],
                  ],
                ],
              ],
            ],
          ],
        ],
      ]),
      { apiVersion: 'apps/v1', kind: 'Deployment' },
    );
    expect((d.spec as any).strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' },
    });
  });

  it('GIVEN a Pod THEN Quantities are strings, maps sorted, nested lists kept, inline structs flattened', () => {
    const pod = decodeProtobuf(
      envelope('v1', 'Pod', [
        [
          1,
          [
            [1, 'p'],
            [
              11,
              [
                [1, 'z'],
                [2, '1'],
              ],
            ],
            [
              11,
              [
                [1, 'a'],
                [2, '2'],
              ],
            ],
          ],
        ],
        [
          2,
          [
            [
              1,
              [
                [1, 'cfg'],
                [
                  2,
                  [
                    [
                      19,
                      [
                        [1, [[1, 'settings']]],
                        [3, 420],
                      ],
                    ],
                  ],
                ],
              ],
            ],
            [
              2,
              [
                [1, 'web'],
                [2, 'nginx'],
                [
                  6,
                  [
                    [1, 'http'],
                    [3, 80],
                  ],
                ],
                [6, [[3, 443]]],
                [
                  7,
                  [
                    [1, 'A'],
                    [2, '1'],
                  ],
                ],
                [
                  7,
                  [
                    [1, 'B'],
                    [
                      3,
                      [
                        [
                          4,
                          [
                            [1, [[1, 'creds']]],
                            [2, 'token'],
                          ],
                        ],
                      ],
                    ],
                  ],
                ],
                [
                  8,
                  [
                    [
                      1,
                      [
                        [1, 'cpu'],
                        [2, [[1, '500m']]],
                      ],
                    ],
                    [
                      1,
                      [
                        [1, 'memory'],
                        [2, [[1, '1Gi']]],
                      ],
                    ],
                  ],
                ],
                [
                  11,
                  [
                    [
                      1,
                      [
                        [
                          2,
                          [
                            [1, '/ready'],
                            [
                              2,
                              [
                                [1, 1],
                                [3, 'http'],
                              ],
                            ],
                          ],
                        ],
                      ],
                    ],
                    [4, 5],
                  ],
                ],
                [16, false],
                [18, false],
              ],
            ],
            [4, 0],
          ],
        ],
      ]),
      any,
    );
    expect(pod).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { a: '2', z: '1' } },
      spec: {
        volumes: [{ name: 'cfg', configMap: { name: 'settings', defaultMode: 420 } }],
        containers: [
          {
            name: 'web',
            image: 'nginx',
            ports: [{ name: 'http', containerPort: 80 }, { containerPort: 443 }],
            env: [
              { name: 'A', value: '1' },
              { name: 'B', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } },
            ],
            resources: { limits: { cpu: '500m', memory: '1Gi' } },
            readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
          },
        ],
        // A pointer set to zero (*int64) stays; stdin and tty (omitempty bools) at false do not.
        terminationGracePeriodSeconds: 0,
      },
    });
    expect(Object.keys((pod.metadata as any).labels)).toEqual(['a', 'z']);
  });

  it('GIVEN bytes THEN base64, as Go marshals []byte', () => {
    const bin = Buffer.from([0, 1, 2, 250, 255]);
    const cm = decodeProtobuf(
      envelope('v1', 'ConfigMap', [
        meta,
        [
          3,
          [
            [1, 'blob'],
            [2, bin],
          ],
        ],
      ]),
      any,
    );
    expect(cm.binaryData).toEqual({ blob: bin.toString('base64') });
    const secret = decodeProtobuf(
      envelope('v1', 'Secret', [
        meta,
        [
          2,
          [
            [1, 'k'],
            [2, Buffer.from('v')],
          ],
        ],
        [3, 'Opaque'],
      ]),
      any,
    );
    expect(secret).toMatchObject({ data: { k: 'dg==' }, type: 'Opaque' });
  });

  it('GIVEN a RawExtension and int64s THEN the raw JSON parsed, numbers as numbers', () => {
    const cr = decodeProtobuf(
      envelope('apps/v1', 'ControllerRevision', [meta, [2, [[1, '{"spec":{"replicas":3}}']]], [3, 2 ** 40]]),
      any,
    );
    expect(cr).toEqual({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'p' },
      data: { spec: { replicas: 3 } },
      revision: 2 ** 40,
    });
  });

  it('GIVEN DeleteOptions in any group version THEN meta/v1 DeleteOptions', () => {
    const opts = decodeProtobuf(
      envelope('apps/v1', 'DeleteOptions', [
        [1, 0],
        [2, [[1, 'uid-1']]],
        [4, 'Foreground'],
      ]),
      { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions' },
    );
    expect(opts).toEqual({
      apiVersion: 'apps/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { uid: 'uid-1' },
      propagationPolicy: 'Foreground',
    });
  });

  it('GIVEN an empty typeMeta THEN the kind of the endpoint, as upstream copyKindDefaults', () => {
    const body = Buffer.concat([
      Buffer.from('k8s\0', 'latin1'),
      msg([
        [1, []],
        [2, msg([[1, [[1, 'n']]]])],
      ]),
    ]);
    expect(decodeProtobuf(body, { apiVersion: 'v1', kind: 'Namespace' })).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'n' },
    });
  });
});

describe('protobuf bodies the sandbox cannot read', () => {
  const caught = (f: () => unknown): StatusError => {
    try {
      f();
    } catch (e) {
      if (e instanceof StatusError) return e;
      throw e;
    }
    throw new Error('no error');
  };

  it.each([
    ['a kind the definitions lack', envelope('policy/v1', 'Eviction', [[1, [[1, 'p']]]])],
    ['a custom resource', envelope('networking.istio.io/v1', 'VirtualService', [[1, [[1, 'vs']]]])],
  ])('GIVEN %s THEN 415 UnsupportedMediaType naming JSON and YAML', (_what, body) => {
    const e = caught(() => decodeProtobuf(body, any));
    expect(e.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
      reason: 'UnsupportedMediaType',
      code: 415,
    });
  });

  it.each([
    ['no body', Buffer.alloc(0), 'empty data'],
    ['no envelope', Buffer.from('{"kind":"Pod"}'), 'provided data does not appear to be a protobuf message'],
    ['the magic alone', Buffer.from('k8s\0', 'latin1'), 'empty body'],
    ['a truncated envelope', Buffer.from('k8s\0\n\u0009\n\u0002v1', 'latin1'), 'index out of range'],
  ])('GIVEN %s THEN 400 BadRequest, as the apiserver answers a decode error', (_what, body, why) => {
    const e = caught(() => decodeProtobuf(body, any));
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toContain('the object provided is unrecognized (must be of type Pod): ');
    expect(e.message).toContain(why);
  });

  it('GIVEN a truncated object inside a good envelope THEN 400 naming the kind', () => {
    const body = Buffer.concat([
      Buffer.from('k8s\0', 'latin1'),
      msg([
        [
          1,
          [
            [1, 'v1'],
            [2, 'Pod'],
          ],
        ],
        [2, Buffer.from([0x0a, 0x05, 0x0a])],
      ]),
    ]);
    const e = caught(() => decodeProtobuf(body, any));
    expect(e.code).toBe(400);
    expect(e.message).toMatch(/^Pod in version "v1" cannot be handled as a Pod: /);
  });
});
