/** What every route handler gets: the model, the scheduler, the limits and the metrics. */
import type { ServeLimits } from './limits.js';
import type { ServeMetrics } from './metrics.js';
import type { ServedModel } from './model-host.js';
import type { Scheduler } from './scheduler.js';

export interface ServeContext {
  served: ServedModel;
  scheduler: Scheduler;
  limits: ServeLimits;
  metrics: ServeMetrics;
}
