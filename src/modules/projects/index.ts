/** What the projects module offers other modules (a scaffolded type referencing a project). */
export { Project } from './project.entity.ts';
export { Task } from './task.entity.ts';
export { projectLoaders } from './loaders.ts';
