"use strict";
/** The shapes of the SDK's options, arguments and results (camelCase; the wire's fields are snake_case). */
Object.defineProperty(exports, "__esModule", { value: true });
