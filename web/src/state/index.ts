/**
 * Keyed state backends (heap and LSM) behind one interface. Public exports of web/src/state/.
 */
export {};
