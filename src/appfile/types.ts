/**
 * The typed Application that the parser produces and the compiler consumes. Everything here has
 * already been validated: required fields are present, defaults are NOT filled in (the compiler
 * owns defaults, so `render` shows them and the parser stays a faithful reading of the file).
 */

export interface Application {
  name: string;
  /** Undefined when the file does not say; the caller resolves flag, context, then "default". */
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  components: Component[];
  /** Undefined when the file has no spec.workflow. */
  workflow?: WorkflowStep[];
}

export interface Component {
  name: string;
  type: 'webservice';
  properties: WebserviceProperties;
  traits: Trait[];
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}

export interface PortSpec {
  port: number;
  name?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export type VolumeSpec =
  | { name: string; mountPath: string; type: 'emptyDir'; medium?: '' | 'Memory' }
  | { name: string; mountPath: string; type: 'configMap'; cmName: string; defaultMode?: number }
  | { name: string; mountPath: string; type: 'secret'; secretName: string; defaultMode?: number }
  | { name: string; mountPath: string; type: 'pvc'; claimName: string };

export interface HealthProbe {
  exec?: { command: string[] };
  httpGet?: { path?: string; port: number; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface WebserviceProperties {
  image: string;
  port?: number;
  ports?: PortSpec[];
  cmd?: string[];
  args?: string[];
  env?: EnvVar[];
  cpu?: string;
  memory?: string;
  imagePullPolicy?: 'Always' | 'Never' | 'IfNotPresent';
  imagePullSecrets?: string[];
  volumes?: VolumeSpec[];
  livenessProbe?: HealthProbe;
  readinessProbe?: HealthProbe;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type UriMatch = { exact: string } | { prefix: string } | { regex: string };

/** `replicas` of a batch: a whole number, or a percentage of targetSize as written ("50%"). */
export type BatchSize = number | `${number}%`;

export type Trait =
  | { type: 'expose'; properties: { port: number[]; type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' } }
  | { type: 'scaler'; properties: { replicas?: number } }
  | {
      type: 'istio-gateway';
      properties: { hosts: string[]; gateway?: string; match: UriMatch[]; port: number };
    }
  | { type: 'canary-traffic'; properties: { port: number[] } }
  | {
      type: 'rollout';
      properties: {
        targetSize: number;
        rolloutBatches?: { replicas: BatchSize }[];
        batchPartition?: number;
        targetRevision?: string;
      };
    };

export type TraitType = Trait['type'];
export type TraitOf<T extends TraitType> = Extract<Trait, { type: T }>;

export interface WeightedTarget {
  revision: string;
  weight: number;
}

export type WorkflowStep =
  | {
      name: string;
      type: 'canary-rollout';
      properties: {
        batchPartition?: number;
        traffic?: { weightedTargets: WeightedTarget[] };
        component?: string;
      };
    }
  | { name: string; type: 'suspend'; properties: { duration?: string; message?: string } }
  | { name: string; type: 'canary-rollback'; properties: { rollbackVersion?: string; component?: string } }
  | { name: string; type: 'check-metrics'; properties: CheckMetricsProperties; timeout?: string };

/** Flagger's two built-in checks, over Istio's standard metrics for the revision being rolled out. */
export type BuiltinMetric = 'request-success-rate' | 'request-duration';

/**
 * KubeVela's `check-metrics` step (`query`, `condition`, `duration`, `failDuration`,
 * `metricEndpoint`), plus `interval` and, instead of a query, Flagger's built-in checks
 * (`metric` with `thresholdRange`) measured over `window`.
 */
export interface CheckMetricsProperties {
  query?: string;
  condition?: string;
  metric?: BuiltinMetric;
  thresholdRange?: { min?: number; max?: number };
  window?: string;
  duration?: string;
  failDuration?: string;
  interval?: string;
  metricEndpoint?: string;
  component?: string;
}

export type StepType = WorkflowStep['type'];

/** A parsed file: the application plus, for error messages that come later, where things were. */
export interface ParsedFile {
  file: string;
  app: Application;
  /** YAML path -> 1-based line, for every node of the file; lets later checks report locations. */
  lines: ReadonlyMap<string, number>;
}
