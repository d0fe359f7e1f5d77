"""The registry's command and query handlers (check the actor's role, load, decide, save), and its reactions to
other services' events.

Each handler takes its message, its context (who asks; a command's transaction) and the service's
:class:`~services.registry.service.Deps`; the tables below map names on the bus to handlers.
"""

from __future__ import annotations

from services.orders import events as orders
from services.registry import messages as m
from services.registry.handlers.agreements import (
    draft_organization_agreement,
    end_organization_agreement,
    organization_agreement,
    organization_agreement_pdf,
    renew_organization_agreement,
    sign_organization_agreement,
)
from services.registry.handlers.experts import (
    answer_membership,
    approve_profile,
    change_profile,
    deactivate_expert,
    erase_expert,
    give_consent,
    join_organization,
    leave_organization,
    list_expert,
    record_training,
    register_expert,
    remind_and_expire_consents,
    return_profile,
    set_availability,
    submit_profile,
    unlist_expert,
    withdraw_consent,
)
from services.registry.handlers.organizations import (
    appoint_contact_person,
    erase_contact_person,
    erase_orderer,
    grant_credentials,
    register_organization,
    remove_contact_person,
    revoke_credentials,
)
from services.registry.handlers.queries import (
    access_log,
    consent_history,
    experts_away,
    find_experts,
    get_expert,
    get_organization,
    list_experts,
    list_orderers,
    list_organizations,
    profiles_to_review,
    search_bank,
    situation,
    who_viewed,
    whois,
)
from services.registry.handlers.reactions import count_assignment
from services.registry.handlers.training import (
    define_programme,
    define_theme,
    enroll_participant,
    get_cohort,
    list_cohorts,
    list_programmes,
    list_themes,
    open_cohort,
    record_module_completion,
    retire_theme,
)
from shared.handling import Commands, Consumed, Queries

__all__ = ["COMMANDS", "QUERIES", "remind_and_expire_consents"]

COMMANDS: Commands = {
    "register_organization": (m.RegisterOrganization, register_organization),
    "appoint_contact_person": (m.AppointContactPerson, appoint_contact_person),
    "remove_contact_person": (m.RemoveContactPerson, remove_contact_person),
    "draft_organization_agreement": (m.DraftOrganizationAgreement, draft_organization_agreement),
    "renew_organization_agreement": (m.RenewOrganizationAgreement, renew_organization_agreement),
    "sign_organization_agreement": (m.SignOrganizationAgreement, sign_organization_agreement),
    "end_organization_agreement": (m.EndOrganizationAgreement, end_organization_agreement),
    "register_expert": (m.RegisterExpert, register_expert),
    "join_organization": (m.JoinOrganization, join_organization),
    "record_training": (m.RecordTraining, record_training),
    "answer_membership": (m.AnswerMembership, answer_membership),
    "leave_organization": (m.LeaveOrganization, leave_organization),
    "give_consent": (m.GiveConsent, give_consent),
    "withdraw_consent": (m.WithdrawConsent, withdraw_consent),
    "change_profile": (m.ChangeProfile, change_profile),
    "submit_profile": (m.SubmitProfile, submit_profile),
    "approve_profile": (m.ExpertCommand, approve_profile),
    "return_profile": (m.ReturnProfile, return_profile),
    "set_availability": (m.SetAvailability, set_availability),
    "define_theme": (m.DefineTheme, define_theme),
    "retire_theme": (m.RetireTheme, retire_theme),
    "define_programme": (m.DefineProgramme, define_programme),
    "open_cohort": (m.OpenCohort, open_cohort),
    "enroll_participant": (m.EnrollParticipant, enroll_participant),
    "record_module_completion": (m.RecordModuleCompletion, record_module_completion),
    "list_expert": (m.ListExpert, list_expert),
    "unlist_expert": (m.UnlistExpert, unlist_expert),
    "deactivate_expert": (m.DeactivateExpert, deactivate_expert),
    "erase_expert": (m.EraseExpert, erase_expert),
    "erase_orderer": (m.EraseOrderer, erase_orderer),
    "erase_contact_person": (m.EraseContactPerson, erase_contact_person),
    "grant_credentials": (m.GrantCredentials, grant_credentials),
    "revoke_credentials": (m.RevokeCredentials, revoke_credentials),
}

QUERIES: Queries = {
    "search_bank": (m.SearchBank, search_bank),
    "find_experts": (m.FindExperts, find_experts),
    "experts_away": (m.ExpertsAway, experts_away),
    "profiles_to_review": (m.ProfilesToReview, profiles_to_review),
    "consent_history": (m.ConsentHistory, consent_history),
    "who_viewed": (m.WhoViewed, who_viewed),
    "access_log": (m.AccessLog, access_log),
    "situation": (m.Situation, situation),
    "list_themes": (m.ListThemes, list_themes),
    "list_programmes": (m.ListProgrammes, list_programmes),
    "get_cohort": (m.GetCohort, get_cohort),
    "list_cohorts": (m.ListCohorts, list_cohorts),
    "get_expert": (m.GetExpert, get_expert),
    "get_organization": (m.GetOrganization, get_organization),
    "organization_agreement": (m.OrganizationAgreement, organization_agreement),
    "organization_agreement_pdf": (m.OrganizationAgreementPdf, organization_agreement_pdf),
    "list_organizations": (m.ListOrganizations, list_organizations),
    "list_orderers": (m.ListOrderers, list_orderers),
    "list_experts": (m.ListExperts, list_experts),
    "whois": (m.Whois, whois),
}

CONSUMES: Consumed = {
    "orders": {orders.EngagementOpened: count_assignment},
}
