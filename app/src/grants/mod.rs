//! ClusterXchange grants: a member who met peers from another country's cluster, at meetings
//! verified as held, may apply for an exchange visit. So far: the pure rules (eligibility, the
//! length of a stay, distances, the amount), each explained in words.

#[cfg(feature = "ssr")]
pub mod rules;
