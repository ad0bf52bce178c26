// The backend's own errors; the general ones (invalid input, conflict, unauthorized) are the service kit's.
import { NotFoundError } from "@event-platform/service-kit";

export { ConflictError, InvalidInputError, type Violation } from "@event-platform/service-kit";

/** No such task for this user. Another user's task is reported the same way, so its existence never leaks. */
export class TaskNotFoundError extends NotFoundError {
  constructor(id: number) {
    super(`Task ${id} not found`);
  }
}
