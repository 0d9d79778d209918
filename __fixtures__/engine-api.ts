/**
 * A typed fake of src/docker/api.ts, for `jest.unstable_mockModule('…/src/docker/api.js', () => fake)`: the engine
 * API is reported unusable, as it is for an engine reached over ssh:// or TLS, so the image doctor reads each
 * image through `docker save` and the start check reads states through `docker inspect`, both through the fake
 * exec layer. Everything else is the real module's.
 */
import { EngineApi as RealEngineApi } from '../src/docker/api.js'

export { DEFAULT_SOCKET, EngineApiError, engineEndpoint, errorMessage } from '../src/docker/api.js'
export type { ApiRequest, ApiResponse, ApiStream, EndpointResult, EngineEndpoint } from '../src/docker/api.js'

/** Why the API is not used, as `fromEnv` says it. */
export const UNSUPPORTED = 'DOCKER_HOST=ssh://fake-engine'

export class EngineApi extends RealEngineApi {
  /** Counts the clients asked for, so a test can see the API was consulted. */
  static asked = 0

  static override fromEnv(): RealEngineApi | { unsupported: string } {
    EngineApi.asked++
    return { unsupported: UNSUPPORTED }
  }
}
