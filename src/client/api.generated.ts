// Generated from openapi.yaml by `npm run openapi` (openapi-typescript); do not edit.
export interface paths {
    "/v1/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List jobs, newest first
         * @description The caller's jobs (an admin's: every tenant's, or one with `?tenant=`), newest first, filtered by status, metadata pairs (`?tag=key=value`, repeatable: all must match), name prefix and creation time. Follow `nextCursor` for the next page; a filtered page looks at a bounded number of jobs, so it may hold fewer than `limit` items while `nextCursor` is still set.
         */
        get: operations["listJobs"];
        put?: never;
        /**
         * Submit a training job
         * @description Validates the body (shapes, quotas), stores the job and queues it. Answers 202 with the job's id and links; `Idempotency-Key` makes a retry safe. `metadata` (at most 16 string pairs) and `name` let `GET /v1/jobs` find it again.
         */
        post: operations["createJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/validate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Check a job without submitting it: shapes, parameters, FLOPs, quotas
         * @description The same checks as `POST /v1/jobs` (shapes, parameter count, FLOPs, memory, quotas) without storing or queuing anything; `valid` says whether a submission would be accepted.
         */
        post: operations["validateJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A job: status, stage, progress, metrics, history, transitions
         * @description The job document: its spec, status and stage, progress, metrics, per-epoch history, status transitions and, once trained, where its weights are.
         */
        get: operations["getJob"];
        put?: never;
        post?: never;
        /**
         * Delete a finished job and its events, weights and checkpoint
         * @description Removes a succeeded, failed or cancelled job with everything it owns; a job still queued or running answers 409 (cancel it first).
         */
        delete: operations["deleteJob"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel a job: a queued job ends at once, a running one at its next batch
         * @description Asks for the job to stop. A queued job is cancelled at once; a running one stops at its next batch and keeps its partial weights. A finished job answers 409.
         */
        post: operations["cancelJob"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The job event log: text/event-stream (default) or JSON (Accept: application/json)
         * @description SSE: a `snapshot` event, then `status`, `progress`, `epoch` and one terminal event (`completed`, `failed`, `cancelled`), each with its Redis stream id as `id`. With no cursor the stream starts at the newest event (the snapshot holds the history; `?after=0-0` replays it all). Reconnect with `Last-Event-ID` (or `?after=`) to receive exactly what was missed, from any API process.
         */
        get: operations["streamJobEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/weights": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The final (or partial, when cancelled) weights: JSON tensors, safetensors bytes or an ONNX model
         * @description safetensors with `?format=safetensors` or `Accept: application/octet-stream`; `?format=onnx`: the model and its weights as an ONNX file (opset 13; input `input` [N, C, H, W] taking the values POST /v1/jobs/{id}/predict takes, outputs `logits` and `probabilities`, the probabilities predict answers). ETag is the sha256 of the safetensors bytes (with `.onnx` appended for ONNX).
         */
        get: operations["getJobWeights"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/predict": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Class probabilities for inputs, with the job's weights (computed by a worker)
         * @description Runs the inputs through the trained model on a worker thread and answers each input's label and class probabilities. 409 while the job has no weights; 504 when no worker answers in time.
         */
        post: operations["predict"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/datasets": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List uploaded datasets, newest first
         * @description The caller's uploaded datasets (an admin's: every tenant's, or one with `?tenant=`), newest first, paged with `nextCursor`.
         */
        get: operations["listDatasets"];
        put?: never;
        /**
         * Upload a dataset: IDX images + labels, or a CSV (gzipped or not)
         * @description multipart/form-data with files `images` and `labels` (IDX) or `file` (CSV), optional fields `name`, `shape`; or a raw `text/csv` / `application/gzip` body with `?name=` and `?shape=`.
         */
        post: operations["uploadDataset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/datasets/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * An uploaded dataset
         * @description An uploaded dataset's shape, classes, sample count and size.
         */
        get: operations["getDataset"];
        put?: never;
        post?: never;
        /**
         * Delete a dataset unless unfinished jobs need it
         * @description Removes the dataset and gives its tenant the room back. While unfinished jobs need it, answers 409 with code `dataset-in-use` naming them.
         */
        delete: operations["deleteDataset"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness: the process answers
         * @description Answers 200 as long as the process runs; it checks nothing else. No key needed.
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness: Redis answers and at least one worker sent a heartbeat recently
         * @description Answers 200 when Redis answers and at least one worker sent a heartbeat within READY_WORKER_WITHIN_MS; otherwise 503 with the reason. No key needed.
         */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics (an admin key or METRICS_TOKEN as Bearer)
         * @description Process and service metrics in the Prometheus text format, for an admin key or the METRICS_TOKEN as a Bearer token.
         */
        get: operations["getMetrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List API keys (admin); never their secrets
         * @description Every key (or one tenant's with `?tenant=`): id, tenant, role, name and last use, never the secret.
         */
        get: operations["listKeys"];
        put?: never;
        /**
         * Create an API key for a tenant (admin); the key is in this answer only
         * @description Creates a member or admin key for a tenant (creating the tenant if new). The secret is in this answer only; the store keeps its hash.
         */
        post: operations["createKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key (admin): refused at once by every API process
         * @description Revokes the key: every API process refuses it from the next request on.
         */
        delete: operations["revokeKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every tenant with its quotas and usage (admin)
         * @description Every tenant with its effective quotas and current usage.
         */
        get: operations["listTenants"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A tenant's quotas and usage (admins: any tenant; members: their own)
         * @description A tenant's effective quotas (defaults with its overrides) and current usage. A member may read only its own tenant.
         */
        get: operations["getTenant"];
        /**
         * Override a tenant's quotas (admin); null restores the default
         * @description Sets quota overrides for the tenant; a null value restores that quota's default. Answers the tenant's new quotas and usage.
         */
        put: operations["updateTenant"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/stream-tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A short-lived read-only token for EventSource (?token= on the event routes)
         * @description A browser's EventSource cannot send an Authorization header: this token, given as `?token=` on the event routes only, reads the caller's tenant's streams until it expires or the key that asked for it is revoked.
         */
        post: operations["createStreamToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every job of the tenant on one stream: text/event-stream (default) or JSON (Accept: application/json)
         * @description SSE: a `snapshot` ({tenant, jobs}), then each job event as `data: {jobId, jobEventId, data}` with the tenant log's id as `id`. Reconnect with `Last-Event-ID` (or `?after=`), from any API process. `?status=` and `?jobs=` narrow it; admins pick a tenant with `?tenant=`.
         */
        get: operations["streamTenantEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/jobs/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The job's webhook delivery attempts, oldest first
         * @description Every attempt to POST the job's end to its webhook: the webhook-id, URL, the receiver's status (or the error), and whether another attempt is scheduled.
         */
        get: operations["listJobDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/webhook": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A tenant's default webhook URL and signing secret (created on first read)
         * @description The URL used for the tenant's jobs that name no webhook, and the secret that signs every delivery (created on first read). Admins: any tenant; members: their own.
         */
        get: operations["getTenantWebhook"];
        /**
         * Set (or, with null, remove) the tenant's default webhook URL
         * @description Sets the tenant's default webhook URL (checked against WEBHOOK_ALLOWED_HOSTS) or, with null, removes it; answers the settings.
         */
        put: operations["updateTenantWebhook"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tenants/{tenant}/webhook/secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate the tenant's signing secret: deliveries from now on (retries included) use the new one
         * @description Replaces the tenant's signing secret; every delivery from now on, retries of earlier events included, is signed with the new one. Answers the settings with the new secret.
         */
        post: operations["rotateTenantWebhookSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    jobEnded: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A job ended: succeeded, failed or was cancelled
         * @description Sent to the job's webhook.url, else its tenant's default URL (PUT /v1/tenants/{tenant}/webhook), signed the Standard Webhooks way with the tenant's secret. Retried with exponential backoff until a 2xx answer, up to WEBHOOK_ATTEMPTS tries.
         */
        post: operations["jobEnded"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        JobDocument: {
            id: string;
            /** @description a tenant name: a-z, 0-9, _ and - */
            tenant: string;
            name: string | null;
            /** @description the submission's metadata ({} when it gave none) */
            metadata?: {
                [key: string]: string;
            };
            /** @enum {unknown} */
            status: "queued" | "running" | "cancelling" | "succeeded" | "failed" | "cancelled";
            /** @enum {unknown} */
            stage: "queued" | "loading-data" | "training" | "evaluating" | "recovering" | "saving" | "done";
            /** @description 1 for the first run; goes up when a job is resumed */
            attempt: number;
            priority: number;
            progress: components["schemas"]["Progress"];
            metrics: components["schemas"]["Metrics"];
            history: components["schemas"]["EpochMetrics"][];
            transitions: components["schemas"]["Transition"][];
            error?: components["schemas"]["JobError"];
            weights?: {
                sha256: string;
                bytes: number;
                /** @description true when saved by a cancelled job */
                partial?: boolean;
            } | null;
            /** Format: date-time */
            createdAt: string;
            startedAt: string | null;
            finishedAt: string | null;
            spec: components["schemas"]["JobSpec"];
            links?: components["schemas"]["JobLinks"];
        };
        JobSubmission: {
            model: components["schemas"]["ModelSpec"] | {
                /** @enum {unknown} */
                preset: "lenet5" | "fashion-cnn" | "fashion-resnet";
            };
            dataset: components["schemas"]["DatasetRef"];
            training: components["schemas"]["Training"];
            stopping?: components["schemas"]["Stopping"];
            initialWeights?: components["schemas"]["InitialWeights"];
            /** @description GET /v1/jobs?name= finds it by prefix */
            name?: string;
            /** @description up to 16 string pairs (keys: 1-64 of A-Z a-z 0-9 _ . : / -; values: at most 512 characters), returned with the job; GET /v1/jobs?tag=key=value finds it */
            metadata?: {
                [key: string]: string;
            };
            /** @description lower runs first; default 1000 */
            priority?: number;
            webhook?: components["schemas"]["Webhook"];
        };
        JobSpec: {
            model: components["schemas"]["ModelSpec"];
            /** @description the submitted dataset; an inline one shows as {id, summary} */
            dataset: {
                /** @enum {unknown} */
                builtin: "fashion-mnist" | "mnist";
                /** @description first N training samples */
                trainSize?: number;
                /** @description first N test samples */
                testSize?: number;
                /** @description fraction of the training samples held out */
                validationSplit?: number;
            } | {
                id: string;
            } | {
                id: string;
                summary: {
                    samples: number;
                    /** @description [channels, height, width] */
                    shape: [
                        number,
                        number,
                        number
                    ];
                    classes: number;
                    /** @description of the stored dataset bytes (the same samples give the same hash) */
                    sha256: string;
                    /** @description stored size */
                    bytes: number;
                };
            } | {
                inline: components["schemas"]["InlineDataset"];
            };
            training: components["schemas"]["Training"];
            stopping?: components["schemas"]["Stopping"];
            initialWeights?: components["schemas"]["InitialWeights"];
            /** @description GET /v1/jobs?name= finds it by prefix */
            name?: string;
            /** @description up to 16 string pairs (keys: 1-64 of A-Z a-z 0-9 _ . : / -; values: at most 512 characters), returned with the job; GET /v1/jobs?tag=key=value finds it */
            metadata?: {
                [key: string]: string;
            };
            /** @description lower runs first; default 1000 */
            priority?: number;
            webhook?: components["schemas"]["Webhook"];
        };
        JobSummary: {
            id: string;
            /** @description a tenant name: a-z, 0-9, _ and - */
            tenant: string;
            name: string | null;
            /** @description up to 16 string pairs (keys: 1-64 of A-Z a-z 0-9 _ . : / -; values: at most 512 characters), returned with the job; GET /v1/jobs?tag=key=value finds it */
            metadata?: {
                [key: string]: string;
            };
            /** @enum {unknown} */
            status: "queued" | "running" | "cancelling" | "succeeded" | "failed" | "cancelled";
            /** @enum {unknown} */
            stage: "queued" | "loading-data" | "training" | "evaluating" | "recovering" | "saving" | "done";
            attempt: number;
            progress: components["schemas"]["Progress"];
            metrics: components["schemas"]["Metrics"];
            error?: components["schemas"]["JobError"];
            /** Format: date-time */
            createdAt: string;
            startedAt: string | null;
            finishedAt: string | null;
            links: components["schemas"]["JobLinks"];
        };
        ValidationReport: {
            /** @description true when the job would be accepted (no quota exceeded) */
            valid: boolean;
            model: {
                input: number[];
                layers: {
                    index: number;
                    type: string;
                    outputShape: number[];
                    params: number;
                    /** @description forward FLOPs per sample */
                    flops: number;
                }[];
                outputShape: number[];
                params: number;
                flops: number;
            };
            dataset: {
                shape: number[];
                classes: number;
                trainSamples: number | null;
            };
            stepsPerEpoch: number | null;
            /** @description the memory a worker needs to train the job (QUOTA_MAX_TRAINING_BYTES) */
            memory: {
                /** @description a worker's pool threads (POOL_THREADS); each holds perThreadBytes */
                threads: number;
                /** @description one thread: activations, their gradients, layer and kernel scratch for one micro-shard */
                perThreadBytes: number;
                /** @description one thread's activations (every layer's output for a micro-shard or an evaluation chunk) */
                activationBytes: number;
                /** @description one thread's activation gradients */
                activationGradientBytes: number;
                /** @description one thread's dropout masks, pooling switches, inputs and WebAssembly kernel scratch */
                scratchBytes: number;
                /** @description the weights, held three times by the worker */
                parameterBytes: number;
                /** @description the gradient sum and one slot per further micro-shard of a batch */
                parameterGradientBytes: number;
                /** @description the optimizer state (Adam: two vectors the size of the weights) */
                optimizerBytes: number;
                /** @description the dataset as the worker holds it */
                datasetBytes: number;
                /** @description all of it: threads x perThreadBytes + the rest + the sample order and a checkpoint */
                trainingBytes: number;
                /** @description one predict input's buffers in a thread */
                predictBytesPerInput: number;
            };
            quotas: {
                name: string;
                value: number;
                limit: number;
                exceeded: boolean;
                /** @description the environment variable that sets the limit, e.g. QUOTA_MAX_TRAINING_BYTES */
                variable: string;
            }[];
        };
        ModelSpec: {
            /** @description [channels, height, width] */
            input: [
                number,
                number,
                number
            ];
            layers: components["schemas"]["LayerSpec"][];
        };
        /** @description one layer; `type` picks the kind */
        LayerSpec: {
            type: string;
        } & (components["schemas"]["Conv2dSpec"] | components["schemas"]["Pool2dSpec"] | components["schemas"]["DenseSpec"] | components["schemas"]["FlattenSpec"] | components["schemas"]["DropoutSpec"] | components["schemas"]["ActivationSpec"] | components["schemas"]["BatchNormSpec"] | components["schemas"]["GlobalAvgPool2dSpec"] | components["schemas"]["Dropout2dSpec"] | components["schemas"]["ResidualSpec"]);
        /** @description exactly one of {builtin}, {id} (an uploaded dataset) or {inline} */
        DatasetRef: {
            /** @enum {unknown} */
            builtin: "fashion-mnist" | "mnist";
            /** @description first N training samples */
            trainSize?: number;
            /** @description first N test samples */
            testSize?: number;
            /** @description fraction of the training samples held out */
            validationSplit?: number;
        } | {
            id: string;
        } | {
            inline: components["schemas"]["InlineDataset"];
        };
        InlineDataset: {
            /** @description [channels, height, width] */
            shape: [
                number,
                number,
                number
            ];
            /** @description one flat array of c*h*w numbers per sample, in C, H, W order */
            samples: number[][];
            labels: number[];
        };
        Training: {
            epochs: number;
            batchSize: number;
            optimizer: components["schemas"]["Optimizer"];
            /**
             * @default cross-entropy
             * @enum {unknown}
             */
            loss?: "cross-entropy" | "mse";
            /** @description cross-entropy against (1 - e) one-hot + e / classes (PyTorch label_smoothing); default 0 */
            labelSmoothing?: number;
            /** @description random transformations of each training image, in this order: crop, flip, erasing; drawn from (seed, epoch, the sample's index), so a job's batches are the same on any worker, any thread count and after a resume */
            augment?: {
                /** @description pad, then cut a window of the image size at a random offset */
                randomCrop?: {
                    /** @description zeros added on every side before the crop */
                    padding: number;
                };
                /** @description mirror left-right with probability 0.5 */
                horizontalFlip?: boolean;
                /** @description set a random rectangle to `value` (PyTorch RandomErasing) */
                randomErasing?: {
                    /** @description default 0.5 */
                    probability?: number;
                    /** @description [min, max] fraction of the image's area; default [0.02, 0.33] */
                    scale?: [
                        number,
                        number
                    ];
                    /** @description [min, max] aspect ratio h / w; default [0.3, 3.3] */
                    ratio?: [
                        number,
                        number
                    ];
                    /** @description default 0 */
                    value?: number;
                };
            };
            seed?: number;
            /** @default true */
            shuffle?: boolean;
            schedule?: components["schemas"]["Schedule"];
            /** @description clip gradients by global norm */
            clipNorm?: number;
            /**
             * @description samples per micro-shard: each batch is split into shards of this size, computed in parallel and summed in a fixed order. Part of the arithmetic, so the same value gives bit-identical weights on any pool size or worker
             * @default 32
             */
            microShardSize?: number;
        };
        Optimizer: {
            /** @enum {unknown} */
            type: "sgd" | "adam" | "adamw";
            learningRate: number;
            /** @description sgd only */
            momentum?: number;
            /** @description sgd only; needs momentum > 0 */
            nesterov?: boolean;
            /** @description adam/adamw, default 0.9 */
            beta1?: number;
            /** @description adam/adamw, default 0.999 */
            beta2?: number;
            weightDecay?: number;
        };
        /** @description learning-rate schedule over the whole run */
        Schedule: {
            type: string;
        } & (components["schemas"]["ConstantSchedule"] | components["schemas"]["StepSchedule"] | components["schemas"]["CosineSchedule"] | components["schemas"]["OneCycleSchedule"]);
        Stopping: {
            maxRuntimeSeconds?: number;
            targetAccuracy?: number;
            /** @description epochs without validation improvement */
            patience?: number;
        };
        InitialWeights: {
            fromJob: string;
        } | {
            tensors: components["schemas"]["TensorInput"][];
        };
        TensorInput: {
            /** @description layers.{i}.weight, .bias, .running_mean, .running_var; inside a residual block layers.{i}.layers.{j}.weight, layers.{i}.shortcut.weight, ... */
            name: string;
            shape: number[];
            data: string | number[];
        };
        TensorOutput: {
            name: string;
            shape: number[];
            /** @constant */
            dtype: "float32";
            /**
             * Format: byte
             * @description little-endian float32, base64
             */
            data: string;
        };
        EventLog: {
            events: components["schemas"]["JobEvent"][];
            /** @description pass as ?after= to get what follows */
            nextCursor: string | null;
            /** @description true when the log holds a terminal event: nothing will follow */
            done: boolean;
        };
        Progress: {
            /** @description 1-based epoch in progress; 0 before training starts */
            epoch: number;
            epochs: number;
            /** @description steps done in this epoch */
            step: number;
            stepsPerEpoch: number;
            percent: number;
            etaSeconds: number | null;
            samplesPerSecond: number | null;
        };
        Metrics: {
            loss: number | null;
            accuracy: number | null;
            valLoss?: number | null;
            valAccuracy?: number | null;
            testLoss?: number | null;
            testAccuracy?: number | null;
        };
        EpochMetrics: {
            epoch: number;
            loss: number | null;
            accuracy: number | null;
            valLoss?: number | null;
            valAccuracy?: number | null;
            testLoss?: number | null;
            testAccuracy?: number | null;
            learningRate?: number;
            /** @description wall time of the epoch */
            seconds?: number;
        };
        Transition: {
            /** @enum {unknown} */
            status: "queued" | "running" | "cancelling" | "succeeded" | "failed" | "cancelled";
            /** @enum {unknown} */
            stage: "queued" | "loading-data" | "training" | "evaluating" | "recovering" | "saving" | "done";
            /** Format: date-time */
            at: string;
            attempt?: number;
        };
        JobError: {
            /** @description diverged, invalid-dataset, invalid-weights, crash-loop (its worker kept dying: MAX_CRASHES), lost (its worker lost it and no checkpoint was left: docs/operations.md), internal */
            code: string;
            /** @description for the caller: never internal text (an `internal` error names its errorId instead) */
            message: string;
            /** @description internal: the id under which the worker log has what happened */
            errorId?: string;
            epoch?: number;
            step?: number;
        };
        JobLinks: {
            self: string;
            events: string;
            weights: string;
            cancel: string;
            predict: string;
        };
        DatasetInfo: {
            id: string;
            /** @description a tenant name: a-z, 0-9, _ and - */
            tenant: string;
            name: string | null;
            /** @enum {unknown} */
            format: "idx" | "csv" | "inline";
            count: number;
            /** @description [channels, height, width] */
            shape: [
                number,
                number,
                number
            ];
            classes: number;
            /** @description stored size */
            bytes: number;
            /** Format: date-time */
            createdAt: string;
        };
        PredictRequest: {
            /** @description one flat array of c*h*w numbers per input, in C, H, W order, same scale as the training data */
            inputs: number[][];
        };
        PredictResponse: {
            predictions: {
                label: number;
                probabilities: number[];
            }[];
        };
        Problem: {
            /** @description a URI naming the problem kind; about:blank for plain HTTP errors */
            type: string;
            title: string;
            status: number;
            /** @description for validation errors: `/training/batchSize must be <= 4096` */
            detail?: string;
            instance?: string;
            /** @description JSON pointer into the request body (or query) that is wrong */
            field?: string;
            /** @description a stable machine-readable code */
            code?: string;
            /** @description on 5xx answers: the id under which the log has what happened */
            errorId?: string;
        } & {
            [key: string]: unknown;
        };
        Webhook: {
            /**
             * Format: uri
             * @description http(s) URL whose host is in WEBHOOK_ALLOWED_HOSTS; POSTed when the job succeeds, fails or is cancelled
             */
            url: string;
        };
        Delivery: {
            /** @description the webhook-id header: the same on every attempt (receivers dedupe on it) */
            webhookId: string;
            attempt: number;
            url: string;
            /** @description the receiver's HTTP status; null if none came */
            statusCode: number | null;
            /** @description a 2xx answer: delivered, no more attempts */
            ok: boolean;
            error: string | null;
            /** Format: date-time */
            startedAt: string;
            /** Format: date-time */
            finishedAt: string;
            /** @description failed and another attempt is scheduled (WEBHOOK_ATTEMPTS, exponential backoff) */
            willRetry: boolean;
        };
        TenantWebhook: {
            /** @description a tenant name: a-z, 0-9, _ and - */
            tenant: string;
            /** @description default URL for the tenant's jobs that name none */
            url: string | null;
            /** @description whsec_ + base64 of the HMAC-SHA256 key */
            secret: string;
        };
        Conv2dSpec: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "conv2d";
            filters: number;
            /** @description n means [n, n]; [h, w] otherwise */
            kernelSize: number | [
                number,
                number
            ];
            /** @description n means [n, n]; [h, w] otherwise */
            stride?: number | [
                number,
                number
            ];
            /** @description 'valid' = none, 'same' = output is ceil(input / stride), n = n zeros on every side */
            padding?: ("valid" | "same") | number;
            useBias?: boolean;
            /**
             * @description element-wise activation
             * @enum {unknown}
             */
            activation?: "relu" | "leakyRelu" | "elu" | "sigmoid" | "tanh";
            /** @description leakyRelu slope (default 0.01) or elu alpha (default 1) */
            alpha?: number;
            /**
             * @description weight initialiser; default He normal before a relu-family activation, Glorot uniform otherwise
             * @enum {unknown}
             */
            init?: "heNormal" | "heUniform" | "glorotNormal" | "glorotUniform";
        };
        Pool2dSpec: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "maxPool2d" | "avgPool2d";
            /** @description n means [n, n]; [h, w] otherwise */
            poolSize: number | [
                number,
                number
            ];
            /** @description n means [n, n]; [h, w] otherwise */
            stride?: number | [
                number,
                number
            ];
            /** @description 'valid' = none, 'same' = output is ceil(input / stride), n = n zeros on every side */
            padding?: ("valid" | "same") | number;
        };
        DenseSpec: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "dense";
            units: number;
            useBias?: boolean;
            /**
             * @description element-wise activation
             * @enum {unknown}
             */
            activation?: "relu" | "leakyRelu" | "elu" | "sigmoid" | "tanh";
            /** @description leakyRelu slope (default 0.01) or elu alpha (default 1) */
            alpha?: number;
            /**
             * @description weight initialiser; default He normal before a relu-family activation, Glorot uniform otherwise
             * @enum {unknown}
             */
            init?: "heNormal" | "heUniform" | "glorotNormal" | "glorotUniform";
        };
        FlattenSpec: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "flatten";
        };
        DropoutSpec: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "dropout";
            /** @description probability of zeroing, in [0, 1) */
            rate: number;
        };
        ActivationSpec: {
            /**
             * @description element-wise activation (enum property replaced by openapi-typescript)
             * @enum {string}
             */
            type: "relu" | "leakyRelu" | "elu" | "sigmoid" | "tanh";
            /** @description leakyRelu slope (default 0.01) or elu alpha (default 1) */
            alpha?: number;
        };
        BatchNormSpec: {
            /**
             * @description batchNorm2d on [C, H, W], batchNorm1d on flat [F] (enum property replaced by openapi-typescript)
             * @enum {string}
             */
            type: "batchNorm2d" | "batchNorm1d";
            /** @description running = (1 - momentum) running + momentum * batch statistic; default 0.1 */
            momentum?: number;
            /** @description added to the variance; default 1e-5 */
            eps?: number;
        };
        GlobalAvgPool2dSpec: {
            /**
             * @description the mean of each channel: [C, H, W] -> [C] (enum property replaced by openapi-typescript)
             * @enum {string}
             */
            type: "globalAvgPool2d";
        };
        Dropout2dSpec: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "dropout2d";
            /** @description probability of zeroing a whole channel, in [0, 1) */
            rate: number;
        };
        ResidualSpec: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "residual";
            /** @description the block: output = layers(x) + shortcut(x) */
            layers: components["schemas"]["LayerSpec"][];
            /** @description a 1x1 conv2d with this stride to the block's output channels; default: the identity */
            shortcut?: {
                /** @description n means [n, n]; [h, w] otherwise */
                stride?: number | [
                    number,
                    number
                ];
                useBias?: boolean;
            };
        };
        ConstantSchedule: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "constant";
            /** @description linear warm-up from 0 over this many steps */
            warmupSteps?: number;
        };
        StepSchedule: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "step";
            /** @description multiply by gamma every this many epochs */
            stepEpochs: number;
            gamma: number;
            /** @description linear warm-up from 0 over this many steps */
            warmupSteps?: number;
        };
        CosineSchedule: {
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "cosine";
            minLearningRate?: number;
            /** @description linear warm-up from 0 over this many steps */
            warmupSteps?: number;
        };
        OneCycleSchedule: {
            /**
             * @description PyTorch's OneCycleLR (cosine): up from learningRate / divFactor to learningRate, then down; its own warm-up (enum property replaced by openapi-typescript)
             * @enum {string}
             */
            type: "oneCycle";
            /** @description share of the run spent rising; default 0.3 */
            pctStart?: number;
            /** @description first rate = learningRate / divFactor; default 25 */
            divFactor?: number;
            /** @description last rate = first rate / finalDivFactor; default 1e4 */
            finalDivFactor?: number;
        };
        /** @description one entry of a job's event log; `type` picks the payload */
        JobEvent: {
            type: string;
        } & (components["schemas"]["SnapshotJobEvent"] | components["schemas"]["StatusJobEvent"] | components["schemas"]["ProgressJobEvent"] | components["schemas"]["EpochJobEvent"] | components["schemas"]["CompletedJobEvent"] | components["schemas"]["FailedJobEvent"] | components["schemas"]["CancelledJobEvent"]);
        SnapshotJobEvent: {
            /** @description none: the snapshot is not logged */
            id?: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "snapshot";
            data: components["schemas"]["JobDocument"];
        };
        StatusJobEvent: {
            /** @description the Redis stream id (Last-Event-ID) */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "status";
            data: components["schemas"]["StatusEvent"];
        };
        ProgressJobEvent: {
            /** @description the Redis stream id (Last-Event-ID) */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "progress";
            data: components["schemas"]["ProgressEvent"];
        };
        EpochJobEvent: {
            /** @description the Redis stream id (Last-Event-ID) */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "epoch";
            data: components["schemas"]["EpochEvent"];
        };
        CompletedJobEvent: {
            /** @description the Redis stream id (Last-Event-ID) */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "completed";
            data: components["schemas"]["CompletedEvent"];
        };
        FailedJobEvent: {
            /** @description the Redis stream id (Last-Event-ID) */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "failed";
            data: components["schemas"]["FailedEvent"];
        };
        CancelledJobEvent: {
            /** @description the Redis stream id (Last-Event-ID) */
            id: string;
            /**
             * @description discriminator enum property added by openapi-typescript
             * @enum {string}
             */
            type: "cancelled";
            data: components["schemas"]["CancelledEvent"];
        };
        StatusEvent: {
            /** @enum {unknown} */
            status: "queued" | "running" | "cancelling" | "succeeded" | "failed" | "cancelled";
            /** @enum {unknown} */
            stage: "queued" | "loading-data" | "training" | "evaluating" | "recovering" | "saving" | "done";
            attempt: number;
            /** Format: date-time */
            at: string;
            message?: string;
        };
        ProgressEvent: {
            epoch: number;
            epochs: number;
            step: number;
            stepsPerEpoch: number;
            percent: number;
            etaSeconds: number | null;
            samplesPerSecond: number | null;
            loss?: number | null;
            accuracy?: number | null;
            /** @description each tensor's weight and last-step gradient norm: on the first progress event and then at most every 2 s */
            norms?: {
                /** @description layers.{i}.weight or layers.{i}.bias */
                name: string;
                weightNorm: number;
                /** @description L2 norm of the last step gradient */
                gradNorm: number;
            }[];
        };
        EpochEvent: {
            epoch: number;
            epochs: number;
            metrics: components["schemas"]["EpochMetrics"];
            norms: {
                /** @description layers.{i}.weight or layers.{i}.bias */
                name: string;
                weightNorm: number;
                /** @description L2 norm of the last step gradient */
                gradNorm: number;
            }[];
            evaluation?: {
                /** @enum {unknown} */
                split: "test" | "validation";
                /** @description confusion[label][predicted]: how many samples of each true label got each predicted class */
                confusion: number[][];
                /** @description the most confidently wrong samples, surest first (at most 12) */
                confused: {
                    /** @description the sample's index in its split */
                    index: number;
                    label: number;
                    predicted: number;
                    /** @description softmax probability of the predicted class */
                    probability: number;
                    /**
                     * Format: byte
                     * @description the image as stored, c*h*w uint8 values in C, H, W order (datasets of 0-255 pixels only): a valid predict input
                     */
                    pixels?: string;
                }[];
            };
        };
        CompletedEvent: {
            metrics: components["schemas"]["Metrics"];
            history: components["schemas"]["EpochMetrics"][];
            weights: {
                href: string;
                sha256: string;
                bytes: number;
                tensors?: components["schemas"]["TensorOutput"][];
            };
            /**
             * @description why training stopped
             * @enum {unknown}
             */
            reason?: "epochs" | "target-accuracy" | "patience" | "max-runtime";
        };
        FailedEvent: {
            error: components["schemas"]["JobError"];
            attempt: number;
        };
        CancelledEvent: {
            metrics: components["schemas"]["Metrics"];
            /** @description partial weights, null if none were trained */
            weights: {
                href: string;
                sha256: string;
                bytes: number;
                tensors?: components["schemas"]["TensorOutput"][];
            } | null;
        };
        WebhookPayload: {
            /** @enum {unknown} */
            type: "job.succeeded" | "job.failed" | "job.cancelled";
            /** Format: date-time */
            timestamp: string;
            data: {
                jobId: string;
                /** @description a tenant name: a-z, 0-9, _ and - */
                tenant: string;
                name: string | null;
                /** @enum {unknown} */
                status: "succeeded" | "failed" | "cancelled";
                event: {
                    /** @description the terminal event's id in the job's log (its SSE id) */
                    id: string;
                    /** @enum {unknown} */
                    type: "completed" | "failed" | "cancelled";
                    /** @description the event as GET /v1/jobs/{id}/events gives it (by `type`), without inline weight tensors */
                    data: components["schemas"]["CompletedEvent"] | components["schemas"]["FailedEvent"] | components["schemas"]["CancelledEvent"];
                };
            };
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listJobs: {
        parameters: {
            query?: {
                status?: "queued" | "running" | "cancelling" | "succeeded" | "failed" | "cancelled";
                /** @description admin only: one tenant's jobs (default: every tenant's) */
                tenant?: string;
                /** @description key=value: only jobs whose metadata has this pair (repeat for more: all must match) */
                tag?: string[];
                /** @description only jobs whose name starts with this */
                name?: string;
                /** @description only jobs created at or after this time (ISO 8601) */
                createdAfter?: string;
                /** @description only jobs created before this time (ISO 8601) */
                createdBefore?: string;
                limit?: number;
                /** @description nextCursor of the previous page (with the same filters) */
                cursor?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["JobSummary"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createJob: {
        parameters: {
            query?: never;
            header?: {
                /** @description same key + same body returns the same job; same key + another body is 422 */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["JobSubmission"];
            };
        };
        responses: {
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        /** @enum {unknown} */
                        status: "queued" | "running" | "cancelling" | "succeeded" | "failed" | "cancelled";
                        links: components["schemas"]["JobLinks"];
                    };
                };
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but not acceptable (quota, idempotency key reuse, prediction error) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests, or a tenant quota reached */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Service unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    validateJob: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["JobSubmission"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ValidationReport"];
                };
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobDocument"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    cancelJob: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Accepted */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        /** @enum {unknown} */
                        status: "queued" | "running" | "cancelling" | "succeeded" | "failed" | "cancelled";
                    };
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    streamJobEvents: {
        parameters: {
            query?: {
                /** @description a stream id: return events after it (like Last-Event-ID) */
                after?: string;
                /** @description JSON only; default 1000 */
                limit?: number;
            };
            header?: {
                "last-event-id"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the event log */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EventLog"];
                    "text/event-stream": string;
                };
            };
            /** @description the job has finished and the client already has its whole log: do not reconnect */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests, or a tenant quota reached */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getJobWeights: {
        parameters: {
            query?: {
                format?: "json" | "safetensors" | "onnx";
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the weights */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        sha256: string;
                        bytes: number;
                        tensors: components["schemas"]["TensorOutput"][];
                    };
                    "application/octet-stream": string;
                    "application/onnx": string;
                };
            };
            /** @description not modified (If-None-Match) */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    predict: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PredictRequest"];
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PredictResponse"];
                };
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Well-formed but not acceptable (quota, idempotency key reuse, prediction error) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Service unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Timed out */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listDatasets: {
        parameters: {
            query?: {
                limit?: number;
                /** @description nextCursor of the previous page */
                cursor?: string;
                /** @description a tenant name: a-z, 0-9, _ and - */
                tenant?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: components["schemas"]["DatasetInfo"][];
                        nextCursor: string | null;
                    };
                };
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    uploadDataset: {
        parameters: {
            query?: {
                name?: string;
                /** @description CSV only: c,h,w of each row (default 1,s,s where s*s = pixels per row) */
                shape?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /**
                     * Format: binary
                     * @description IDX images (magic 0x00000803), optionally gzipped
                     */
                    images?: string;
                    /**
                     * Format: binary
                     * @description IDX labels (magic 0x00000801), optionally gzipped
                     */
                    labels?: string;
                    /**
                     * Format: binary
                     * @description CSV `label,p0,p1,...`, optionally gzipped
                     */
                    file?: string;
                    name?: string;
                    /** @description CSV only: c,h,w */
                    shape?: string;
                };
                "text/csv": unknown;
                "application/gzip": unknown;
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DatasetInfo"];
                };
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unsupported media type */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests, or a tenant quota reached */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Service unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getDataset: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DatasetInfo"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    deleteDataset: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Conflict with the current state */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        status: "ok";
                    };
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @constant */
                        status: "ready";
                        /** @constant */
                        redis: "ok";
                        workers: number;
                    };
                };
            };
            /** @description Service unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getMetrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition format */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listKeys: {
        parameters: {
            query?: {
                /** @description a tenant name: a-z, 0-9, _ and - */
                tenant?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            id: string;
                            /** @description a tenant name: a-z, 0-9, _ and - */
                            tenant: string;
                            /**
                             * @description admin: every tenant and the key/tenant routes; member: its own tenant
                             * @enum {unknown}
                             */
                            role: "admin" | "member";
                            name: string;
                            /** Format: date-time */
                            createdAt: string;
                            lastUsedAt: string | null;
                        }[];
                    };
                };
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description a tenant name: a-z, 0-9, _ and - */
                    tenant: string;
                    /** @description what the key is for, e.g. "ci" */
                    name: string;
                    /**
                     * @description admin: every tenant and the key/tenant routes; member: its own tenant
                     * @enum {unknown}
                     */
                    role?: "admin" | "member";
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        id: string;
                        /** @description a tenant name: a-z, 0-9, _ and - */
                        tenant: string;
                        /**
                         * @description admin: every tenant and the key/tenant routes; member: its own tenant
                         * @enum {unknown}
                         */
                        role: "admin" | "member";
                        name: string;
                        /** Format: date-time */
                        createdAt: string;
                        lastUsedAt: string | null;
                        /** @description the secret: shown once, never again */
                        key: string;
                    };
                };
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    revokeKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description No Content */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listTenants: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            /** @description a tenant name: a-z, 0-9, _ and - */
                            tenant: string;
                            quotas: {
                                /** @description queued + running jobs; 0 = none allowed */
                                maxActiveJobs: number;
                                /** @description jobs training at once; 0 = none allowed */
                                maxRunningJobs: number;
                                /** @description bytes of uploaded datasets and job weights; 0 = none allowed */
                                maxStoredBytes: number;
                                /** @description uploaded datasets; 0 = none allowed */
                                maxDatasets: number;
                            };
                            overrides: {
                                maxActiveJobs?: number;
                                maxRunningJobs?: number;
                                maxStoredBytes?: number;
                                maxDatasets?: number;
                            };
                            usage: {
                                activeJobs: number;
                                runningJobs: number;
                                storedBytes: number;
                                datasets: number;
                            };
                        }[];
                    };
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getTenant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description a tenant name: a-z, 0-9, _ and - */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description a tenant name: a-z, 0-9, _ and - */
                        tenant: string;
                        quotas: {
                            /** @description queued + running jobs; 0 = none allowed */
                            maxActiveJobs: number;
                            /** @description jobs training at once; 0 = none allowed */
                            maxRunningJobs: number;
                            /** @description bytes of uploaded datasets and job weights; 0 = none allowed */
                            maxStoredBytes: number;
                            /** @description uploaded datasets; 0 = none allowed */
                            maxDatasets: number;
                        };
                        overrides: {
                            maxActiveJobs?: number;
                            maxRunningJobs?: number;
                            maxStoredBytes?: number;
                            maxDatasets?: number;
                        };
                        usage: {
                            activeJobs: number;
                            runningJobs: number;
                            storedBytes: number;
                            datasets: number;
                        };
                    };
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateTenant: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description a tenant name: a-z, 0-9, _ and - */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    maxActiveJobs?: number | null;
                    maxRunningJobs?: number | null;
                    maxStoredBytes?: number | null;
                    maxDatasets?: number | null;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description a tenant name: a-z, 0-9, _ and - */
                        tenant: string;
                        quotas: {
                            /** @description queued + running jobs; 0 = none allowed */
                            maxActiveJobs: number;
                            /** @description jobs training at once; 0 = none allowed */
                            maxRunningJobs: number;
                            /** @description bytes of uploaded datasets and job weights; 0 = none allowed */
                            maxStoredBytes: number;
                            /** @description uploaded datasets; 0 = none allowed */
                            maxDatasets: number;
                        };
                        overrides: {
                            maxActiveJobs?: number;
                            maxRunningJobs?: number;
                            maxStoredBytes?: number;
                            maxDatasets?: number;
                        };
                        usage: {
                            activeJobs: number;
                            runningJobs: number;
                            storedBytes: number;
                            datasets: number;
                        };
                    };
                };
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    createStreamToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description pass as ?token= on GET /v1/jobs/{id}/events and GET /v1/events */
                        token: string;
                        /** @description a tenant name: a-z, 0-9, _ and - */
                        tenant: string;
                        /** Format: date-time */
                        expiresAt: string;
                    };
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    streamTenantEvents: {
        parameters: {
            query?: {
                /** @description only jobs with this status (joining and leaving as it changes) */
                status?: "queued" | "running" | "cancelling" | "succeeded" | "failed" | "cancelled";
                /** @description only these jobs: comma-separated ids (at most 100) */
                jobs?: string;
                /** @description admin only: another tenant's stream */
                tenant?: string;
                /** @description a stream id: return events after it (like Last-Event-ID) */
                after?: string;
                /** @description JSON only; default 1000 */
                limit?: number;
            };
            header?: {
                "last-event-id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the tenant's events */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        events: {
                            id: string;
                            /** @enum {unknown} */
                            type: "snapshot" | "status" | "progress" | "epoch" | "completed" | "failed" | "cancelled";
                            jobId: string;
                            jobEventId: string;
                            data: unknown;
                        }[];
                        /** @description pass as ?after= to get what follows */
                        nextCursor: string | null;
                    };
                    "text/event-stream": string;
                };
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests, or a tenant quota reached */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    listJobDeliveries: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description oldest first */
                        items: components["schemas"]["Delivery"][];
                    };
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    getTenantWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description a tenant name: a-z, 0-9, _ and - */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantWebhook"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    updateTenantWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description a tenant name: a-z, 0-9, _ and - */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description null removes the default */
                    url: string | null;
                };
            };
        };
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantWebhook"];
                };
            };
            /** @description Invalid request: the problem names the field */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    rotateTenantWebhookSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description a tenant name: a-z, 0-9, _ and - */
                tenant: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantWebhook"];
                };
            };
            /** @description No valid API key (or stream token) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This key may not do that */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    jobEnded: {
        parameters: {
            query?: never;
            header: {
                /** @description the same on every attempt of one message: dedupe on it */
                "webhook-id": string;
                /** @description seconds since the epoch, this attempt's */
                "webhook-timestamp": string;
                /** @description v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">, keyed with the base64 bytes after whsec_ */
                "webhook-signature": string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["WebhookPayload"];
            };
        };
        responses: {
            /** @description accepted (any 2xx); any other answer, or none, is retried */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
