import { Counter, Gauge, type Registry } from 'prom-client';

/** Whether the model registry can be reached, and how often it could not be. */
export class RegistryMetrics {
  readonly reachable: Gauge;
  readonly failures: Counter;
  readonly lastContact: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.reachable = new Gauge({ name: 'ferry_registry_reachable', help: '1 while the model registry answers, 0 while it does not (serving goes on with what is loaded)', registers });
    this.failures = new Counter({ name: 'ferry_registry_failures_total', help: 'Failed attempts to reach the model registry', registers });
    this.lastContact = new Gauge({ name: 'ferry_registry_last_contact_seconds', help: 'Unix time of the last successful contact with the model registry', registers });
    this.reachable.set(1);
  }
}
