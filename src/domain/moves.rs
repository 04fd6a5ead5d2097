//! Moving users between pools: what each server version can hold, and for each user whether
//! a move may proceed and which server data it keeps or loses. Pure rules, shared by the
//! server (which applies them) and the browser (which previews them).

use super::pool::{Pool, PoolState, ServerVersion};
use super::user::{ServerDataCounts, UserId};
use serde::{Deserialize, Serialize};

/// The kinds of per-user server data a pool's back-end holds.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// Contacts and contact groups.
    Contacts,
    /// Allow and Block list entries.
    AccessEntries,
    /// Scheduled meetings (on-premise conferencing).
    Meetings,
    /// Enhanced presence categories.
    EnhancedPresence,
}

impl DataKind {
    pub const ALL: [DataKind; 4] =
        [DataKind::Contacts, DataKind::AccessEntries, DataKind::Meetings, DataKind::EnhancedPresence];
}

/// The capability matrix: whether a server version holds a kind of user data. LCS 2005 SP1 has
/// neither on-premise conferencing nor enhanced presence; OCS 2007 and 2007 R2 hold everything.
pub fn holds(version: ServerVersion, kind: DataKind) -> bool {
    match kind {
        DataKind::Contacts | DataKind::AccessEntries => true,
        DataKind::Meetings | DataKind::EnhancedPresence => version >= ServerVersion::Ocs2007,
    }
}

/// How many items of each kind a user has.
pub fn amount(counts: &ServerDataCounts, kind: DataKind) -> u64 {
    match kind {
        DataKind::Contacts => counts.contacts + counts.contact_groups,
        DataKind::AccessEntries => counts.allowed + counts.blocked,
        DataKind::Meetings => counts.meetings,
        DataKind::EnhancedPresence => counts.presence_items,
    }
}

/// Why a user is not moved.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveRefusal {
    /// The user is already homed on the destination.
    AlreadyThere,
    /// Converted to enhanced presence: LCS 2005 SP1 cannot home the user any more.
    ConvertedToEnhancedPresence,
    /// The source or destination pool is not available: only a forced move can proceed.
    NeedsForce,
    /// No longer enabled for the service when its turn came (a job's later chunk).
    NotEnabled,
    /// The destination had no room left when the user's turn came (a job's later chunk: others
    /// moved in since its preview). Retried once the pool has room.
    DestinationFull,
}

impl MoveRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            MoveRefusal::AlreadyThere => "already_there",
            MoveRefusal::ConvertedToEnhancedPresence => "converted_to_enhanced_presence",
            MoveRefusal::NeedsForce => "needs_force",
            MoveRefusal::NotEnabled => "not_enabled",
            MoveRefusal::DestinationFull => "destination_full",
        }
    }
}

impl std::str::FromStr for MoveRefusal {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        [
            MoveRefusal::AlreadyThere,
            MoveRefusal::ConvertedToEnhancedPresence,
            MoveRefusal::NeedsForce,
            MoveRefusal::NotEnabled,
            MoveRefusal::DestinationFull,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
        .ok_or(())
    }
}

/// One user as a move sees them.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveCandidate {
    pub id: UserId,
    pub display_name: String,
    pub sip_uri: String,
    pub source: Pool,
    pub converted_to_enhanced_presence: bool,
    pub data: ServerDataCounts,
}

/// What happens to one user's data in a move.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DataFate {
    pub kept: u64,
    pub lost: u64,
}

/// The preview line of one user.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserMovePlan {
    pub id: UserId,
    pub display_name: String,
    pub sip_uri: String,
    pub source_fqdn: String,
    pub refusal: Option<MoveRefusal>,
    /// Per kind of data, in the order of `DataKind::ALL`; all zero when refused.
    pub fates: [DataFate; 4],
}

impl UserMovePlan {
    pub fn moves(&self) -> bool {
        self.refusal.is_none()
    }

    pub fn kept(&self) -> u64 {
        self.fates.iter().map(|f| f.kept).sum()
    }

    pub fn lost(&self) -> u64 {
        self.fates.iter().map(|f| f.lost).sum()
    }
}

/// Whether a pool's back-end can be read from or written to in a normal move: its servers run,
/// and it has not been removed.
pub fn reachable(pool: &Pool) -> bool {
    pool.available && pool.state != PoolState::Removed
}

/// Whether the destination can take users at all (a forced move still needs an active pool).
pub fn can_receive(destination: &Pool) -> bool {
    destination.state == PoolState::Active
}

/// Plans one user's move to `destination`. A normal move needs both pools reachable and keeps
/// the data the destination's version holds; a forced move loses all server data.
pub fn plan_user(user: &MoveCandidate, destination: &Pool, force: bool) -> UserMovePlan {
    let refusal = if user.source.id == destination.id {
        Some(MoveRefusal::AlreadyThere)
    } else if user.converted_to_enhanced_presence && !destination.version.supports_enhanced_presence() {
        Some(MoveRefusal::ConvertedToEnhancedPresence)
    } else if !force && (!reachable(&user.source) || !reachable(destination)) {
        Some(MoveRefusal::NeedsForce)
    } else {
        None
    };
    let fates = DataKind::ALL.map(|kind| {
        let n = amount(&user.data, kind);
        match refusal {
            Some(_) => DataFate::default(),
            None if force || !holds(destination.version, kind) => DataFate { kept: 0, lost: n },
            None => DataFate { kept: n, lost: 0 },
        }
    });
    UserMovePlan {
        id: user.id,
        display_name: user.display_name.clone(),
        sip_uri: user.sip_uri.clone(),
        source_fqdn: user.source.fqdn.clone(),
        refusal,
        fates,
    }
}

/// A job's chunk moves users while the destination has room: those who would move beyond
/// `room`, in plan order, are refused as the destination being full (their data untouched).
pub fn refuse_beyond_room(plans: &mut [UserMovePlan], room: u64) {
    let mut left = room;
    for plan in plans.iter_mut().filter(|p| p.moves()) {
        if left == 0 {
            plan.refusal = Some(MoveRefusal::DestinationFull);
            plan.fates = Default::default();
        } else {
            left -= 1;
        }
    }
}

/// Totals of a move preview, repeated in the confirmation of a forced move.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MoveTotals {
    pub moving: u64,
    pub refused: u64,
    pub kept: u64,
    pub lost: u64,
}

pub fn totals(plans: &[UserMovePlan]) -> MoveTotals {
    plans.iter().fold(MoveTotals::default(), |mut t, p| {
        if p.moves() {
            t.moving += 1;
        } else {
            t.refused += 1;
        }
        t.kept += p.kept();
        t.lost += p.lost();
        t
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pool::{PoolId, PoolKind};

    fn pool(id: i64, version: ServerVersion, state: PoolState, available: bool) -> Pool {
        Pool {
            id: PoolId(id),
            fqdn: format!("pool{id}.contoso.com"),
            kind: PoolKind::Enterprise,
            version,
            state,
            available,
            capacity: 1000,
            site: "Redmond".into(),
        }
    }

    fn data() -> ServerDataCounts {
        ServerDataCounts {
            contacts: 20,
            contact_groups: 3,
            allowed: 2,
            blocked: 1,
            meetings: 4,
            presence_items: 5,
        }
    }

    fn user(source: Pool, converted: bool) -> MoveCandidate {
        MoveCandidate {
            id: UserId(1),
            display_name: "Zoë Faure".into(),
            sip_uri: "sip:zoe.faure@contoso.com".into(),
            source,
            converted_to_enhanced_presence: converted,
            data: data(),
        }
    }

    use PoolState::*;
    use ServerVersion::*;

    #[test]
    fn the_capability_matrix() {
        for v in ServerVersion::ALL {
            assert!(holds(v, DataKind::Contacts));
            assert!(holds(v, DataKind::AccessEntries));
        }
        assert!(!holds(Lcs2005Sp1, DataKind::Meetings));
        assert!(!holds(Lcs2005Sp1, DataKind::EnhancedPresence));
        assert!(holds(Ocs2007, DataKind::Meetings) && holds(Ocs2007, DataKind::EnhancedPresence));
        assert!(holds(Ocs2007R2, DataKind::Meetings) && holds(Ocs2007R2, DataKind::EnhancedPresence));
    }

    #[test]
    fn a_normal_move_between_available_pools_keeps_everything() {
        let plan = plan_user(
            &user(pool(1, Ocs2007R2, Active, true), true),
            &pool(2, Ocs2007R2, Active, true),
            false,
        );
        assert!(plan.moves());
        assert_eq!((plan.kept(), plan.lost()), (35, 0));
    }

    /// Every combination of source availability × destination availability × force.
    #[test]
    fn availability_and_force() {
        for source_up in [true, false] {
            for destination_up in [true, false] {
                for force in [false, true] {
                    let plan = plan_user(
                        &user(pool(1, Ocs2007R2, Active, source_up), false),
                        &pool(2, Ocs2007R2, Active, destination_up),
                        force,
                    );
                    let case = format!("source {source_up}, destination {destination_up}, force {force}");
                    match (source_up && destination_up, force) {
                        (true, false) => {
                            assert_eq!((plan.refusal, plan.kept(), plan.lost()), (None, 35, 0), "{case}")
                        }
                        (false, false) => {
                            assert_eq!(
                                (plan.refusal, plan.kept(), plan.lost()),
                                (Some(MoveRefusal::NeedsForce), 0, 0),
                                "{case}"
                            )
                        }
                        (_, true) => {
                            assert_eq!((plan.refusal, plan.kept(), plan.lost()), (None, 0, 35), "{case}")
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn moving_to_an_earlier_version_loses_what_it_cannot_hold() {
        let to_lcs = plan_user(
            &user(pool(1, Ocs2007R2, Active, true), false),
            &pool(2, Lcs2005Sp1, Active, true),
            false,
        );
        assert!(to_lcs.moves());
        assert_eq!(to_lcs.fates[0], DataFate { kept: 23, lost: 0 }); // contacts and groups
        assert_eq!(to_lcs.fates[1], DataFate { kept: 3, lost: 0 }); // allow/block
        assert_eq!(to_lcs.fates[2], DataFate { kept: 0, lost: 4 }); // meetings
        assert_eq!(to_lcs.fates[3], DataFate { kept: 0, lost: 5 }); // enhanced presence
        let to_2007 =
            plan_user(&user(pool(1, Ocs2007R2, Active, true), true), &pool(2, Ocs2007, Active, true), false);
        assert_eq!((to_2007.kept(), to_2007.lost()), (35, 0));
        // Upwards nothing is lost.
        let up = plan_user(
            &user(pool(1, Lcs2005Sp1, Active, true), false),
            &pool(2, Ocs2007R2, Active, true),
            false,
        );
        assert_eq!(up.lost(), 0);
    }

    /// Enhanced presence × destination version × force.
    #[test]
    fn converted_users_never_go_to_lcs_2005() {
        for converted in [false, true] {
            for version in ServerVersion::ALL {
                for force in [false, true] {
                    let plan = plan_user(
                        &user(pool(1, Ocs2007R2, Active, true), converted),
                        &pool(2, version, Active, true),
                        force,
                    );
                    let refused = converted && version == Lcs2005Sp1;
                    assert_eq!(
                        plan.refusal,
                        refused.then_some(MoveRefusal::ConvertedToEnhancedPresence),
                        "converted {converted}, {version:?}, force {force}"
                    );
                }
            }
        }
    }

    #[test]
    fn unassigned_users_move_out_of_a_deactivated_pool_but_a_removed_one_needs_force() {
        let from_deactivated = plan_user(
            &user(pool(1, Ocs2007R2, Deactivated, true), false),
            &pool(2, Ocs2007R2, Active, true),
            false,
        );
        assert!(from_deactivated.moves());
        assert_eq!(from_deactivated.lost(), 0);
        let from_removed = plan_user(
            &user(pool(1, Ocs2007R2, Removed, true), false),
            &pool(2, Ocs2007R2, Active, true),
            false,
        );
        assert_eq!(from_removed.refusal, Some(MoveRefusal::NeedsForce));
        let forced = plan_user(
            &user(pool(1, Ocs2007R2, Removed, true), false),
            &pool(2, Ocs2007R2, Active, true),
            true,
        );
        assert_eq!((forced.moves(), forced.lost()), (true, 35));
        assert!(!can_receive(&pool(3, Ocs2007R2, Deactivated, true)));
        assert!(can_receive(&pool(3, Ocs2007R2, Active, false)));
    }

    #[test]
    fn users_already_on_the_destination_are_left_alone_and_totals_add_up() {
        let dest = pool(2, Ocs2007R2, Active, true);
        let plans = vec![
            plan_user(&user(dest.clone(), false), &dest, false),
            plan_user(&user(pool(1, Ocs2007R2, Active, true), false), &dest, false),
            plan_user(&user(pool(1, Ocs2007R2, Active, false), false), &dest, false),
        ];
        assert_eq!(plans[0].refusal, Some(MoveRefusal::AlreadyThere));
        assert_eq!(totals(&plans), MoveTotals { moving: 1, refused: 2, kept: 35, lost: 0 });
    }
}

/// Largest number of users one move takes (a whole large pool).
pub const MAX_MOVE: usize = 250_000;

/// What the move wizard shows before anything changes.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovePreview {
    pub destination: Pool,
    pub destination_users: u64,
    pub force: bool,
    /// Users the operation covers (`users` may list only the first of them).
    pub count: u64,
    /// The first `PREVIEW_LINES` users' plans.
    pub users: Vec<UserMovePlan>,
    pub totals: MoveTotals,
}

/// The outcome of a move: the plan that was applied, and its audit record.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveRun {
    pub event_id: i64,
    pub preview: MovePreview,
}
