/** OpenFlow 1.3 wire constants (ofp_* in the 1.3.5 specification) and the Nicira ones we use. */
export const OFP_VERSION = 0x04;
export const OFP_HEADER_LEN = 8;
/** The length field is 16 bits, so no message can be longer than this; sessions may lower the cap. */
export const OFP_MAX_MESSAGE_LEN = 0xffff;

export const MsgType = {
  HELLO: 0,
  ERROR: 1,
  ECHO_REQUEST: 2,
  ECHO_REPLY: 3,
  EXPERIMENTER: 4,
  FEATURES_REQUEST: 5,
  FEATURES_REPLY: 6,
  GET_CONFIG_REQUEST: 7,
  GET_CONFIG_REPLY: 8,
  SET_CONFIG: 9,
  PACKET_IN: 10,
  FLOW_REMOVED: 11,
  PORT_STATUS: 12,
  PACKET_OUT: 13,
  FLOW_MOD: 14,
  GROUP_MOD: 15,
  PORT_MOD: 16,
  TABLE_MOD: 17,
  MULTIPART_REQUEST: 18,
  MULTIPART_REPLY: 19,
  BARRIER_REQUEST: 20,
  BARRIER_REPLY: 21,
  QUEUE_GET_CONFIG_REQUEST: 22,
  QUEUE_GET_CONFIG_REPLY: 23,
  ROLE_REQUEST: 24,
  ROLE_REPLY: 25,
  GET_ASYNC_REQUEST: 26,
  GET_ASYNC_REPLY: 27,
  SET_ASYNC: 28,
  METER_MOD: 29,
} as const;

/** Reserved port numbers (ofp_port_no). */
export const Port = {
  MAX: 0xffffff00,
  IN_PORT: 0xfffffff8,
  TABLE: 0xfffffff9,
  NORMAL: 0xfffffffa,
  FLOOD: 0xfffffffb,
  ALL: 0xfffffffc,
  CONTROLLER: 0xfffffffd,
  LOCAL: 0xfffffffe,
  ANY: 0xffffffff,
} as const;

export const NO_BUFFER = 0xffffffff;
export const GROUP_ANY = 0xffffffff;
export const TABLE_ALL = 0xff;
/** ofp_controller_max_len: send the whole packet to the controller. */
export const CONTROLLER_MAX_LEN_NO_BUFFER = 0xffff;

export const FlowModCommand = { ADD: 0, MODIFY: 1, MODIFY_STRICT: 2, DELETE: 3, DELETE_STRICT: 4 } as const;
export const FlowModFlags = {
  SEND_FLOW_REM: 1,
  CHECK_OVERLAP: 2,
  RESET_COUNTS: 4,
  NO_PKT_COUNTS: 8,
  NO_BYT_COUNTS: 16,
} as const;

export const PacketInReason = { NO_MATCH: 0, ACTION: 1, INVALID_TTL: 2 } as const;
export const FlowRemovedReason = { IDLE_TIMEOUT: 0, HARD_TIMEOUT: 1, DELETE: 2, GROUP_DELETE: 3 } as const;
export const PortReason = { ADD: 0, DELETE: 1, MODIFY: 2 } as const;

export const MultipartType = {
  DESC: 0,
  FLOW: 1,
  AGGREGATE: 2,
  TABLE: 3,
  PORT_STATS: 4,
  QUEUE: 5,
  GROUP: 6,
  GROUP_DESC: 7,
  GROUP_FEATURES: 8,
  METER: 9,
  METER_CONFIG: 10,
  METER_FEATURES: 11,
  TABLE_FEATURES: 12,
  PORT_DESC: 13,
  EXPERIMENTER: 0xffff,
} as const;
export const MULTIPART_MORE = 1;

export const ControllerRole = { NOCHANGE: 0, EQUAL: 1, MASTER: 2, SLAVE: 3 } as const;

export const GroupModCommand = { ADD: 0, MODIFY: 1, DELETE: 2 } as const;
export const GroupType = { ALL: 0, SELECT: 1, INDIRECT: 2, FF: 3 } as const;
export const MeterModCommand = { ADD: 0, MODIFY: 1, DELETE: 2 } as const;
export const MeterFlags = { KBPS: 1, PKTPS: 2, BURST: 4, STATS: 8 } as const;
export const MeterBandType = { DROP: 1, DSCP_REMARK: 2, EXPERIMENTER: 0xffff } as const;

/** ofp_error_type and the codes the session sends itself. */
export const ErrorType = {
  HELLO_FAILED: 0,
  BAD_REQUEST: 1,
  BAD_ACTION: 2,
  BAD_INSTRUCTION: 3,
  BAD_MATCH: 4,
  FLOW_MOD_FAILED: 5,
  GROUP_MOD_FAILED: 6,
  PORT_MOD_FAILED: 7,
  TABLE_MOD_FAILED: 8,
  QUEUE_OP_FAILED: 9,
  SWITCH_CONFIG_FAILED: 10,
  ROLE_REQUEST_FAILED: 11,
  METER_MOD_FAILED: 12,
  TABLE_FEATURES_FAILED: 13,
  EXPERIMENTER: 0xffff,
} as const;
/** ofp_meter_mod_failed_code: the ones the TSC tells apart. */
export const MeterModFailedCode = { METER_EXISTS: 1, UNKNOWN_METER: 3 } as const;
export const HelloFailedCode = { INCOMPATIBLE: 0, EPERM: 1 } as const;
export const BadRequestCode = {
  BAD_VERSION: 0,
  BAD_TYPE: 1,
  BAD_MULTIPART: 2,
  BAD_EXPERIMENTER: 3,
  BAD_LEN: 6,
} as const;

export const VLAN_PRESENT = 0x1000;

/** Nicira vendor id and the NXAST subtypes we encode. */
export const NX_VENDOR_ID = 0x00002320;
export const NxActionSubtype = { CT: 35, NAT: 36 } as const;
export const NxCtFlags = { COMMIT: 1, FORCE: 2 } as const;
export const NX_CT_RECIRC_NONE = 0xff;
export const NxNatFlags = { SRC: 1, DST: 2, PERSISTENT: 4, PROTO_HASH: 8, PROTO_RANDOM: 16 } as const;

/** ct_state bits (NXM_NX_CT_STATE). */
export const CtState = {
  NEW: 0x01,
  EST: 0x02,
  REL: 0x04,
  RPL: 0x08,
  INV: 0x10,
  TRK: 0x20,
  SNAT: 0x40,
  DNAT: 0x80,
} as const;

export const EthType = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, IPV6: 0x86dd } as const;
export const IpProto = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;
