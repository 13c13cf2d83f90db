/** Network address helpers shared by the factory and generated servers (copied beside runtime/ as net/). */
export { privateAddressReason, privateUrlReason } from './private-address.js';
